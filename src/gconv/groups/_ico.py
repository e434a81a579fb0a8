# SPDX-License-Identifier: MIT
"""The icosahedral grid (``IcoGrid(r)``) and the icosahedral rotation group (``ICO``).

**Vertices.** The icosahedron with poles N = +z, S = −z, an upper ring u_k (latitude
atan(1/2), longitude 72°·k) and a lower ring l_k (latitude −atan(1/2), longitude 72°·k + 36°),
each face subdivided into 4^r triangles (flat subdivision, then normalised onto the unit
sphere): V = 10·4^r + 2 vertices.

**Atlas.** Chart k (k = 0..4) is the parallelogram of the four faces (N, u_k, u_{k+1}),
(u_k, l_k, u_{k+1}), (u_{k+1}, l_k, l_{k+1}), (l_k, S, l_{k+1}), sampled on a lattice of
n = 2^r rows and 2n columns: chart point (i, j) sits at u_k + (j·e1 + i·e2)/n in the unfolded
plane, e1 pointing from u_k to l_k, e2 from u_k to N (e2 is e1 turned by +120°). So (0, 0) is
u_k, (0, n) is l_k, (0, 2n) is S, (n, 0) is N. Each chart owns rows 0..n−1 and columns
0..2n−1; the poles belong to no chart. Vertex ids: ``k·n·2n + i·2n + j``, then N, then S.

**Frames (the gauge).** At every chart point the frame direction is e1 (towards (i, j+1)).
The six neighbour directions, counter-clockwise seen from outside the sphere, are the slots
``OFFSETS`` = (0,+1), (+1,+1), (+1,0), (0,−1), (−1,−1), (−1,0): in a 3×3 stencil indexed
[row, column] the corners (0, 2) and (2, 0) are *not* neighbours (the hexagon-orientation
convention of gconv). Feature orientation θ ∈ C6 = ``CyclicGroup(6)`` means θ·60° CCW from
the frame direction.

**Padding.** Chart k is padded to (n+2) × (2n+2) from its neighbours: row −1 from chart k−1
(unchanged frame left of l_k, frame turned by +60° right of it), row n from chart k+1 (+60°
left of u_{k+1}, unchanged right of it), column −1 from chart k−1 (−60°), column 2n from
chart k+1 (−60°). A neighbour's frame turned by s·60° relative to chart k means the regular
feature read in chart k's frame is ``f_k[θ] = f_{k'}[θ − s]`` (``pad_shift``).

**The 12 five-neighbour vertices** (u_k, l_k, N, S: ``corners``) have no consistent 60° frame
(going round one turns a frame by 72°·5 = 360° − 60°). Scalar signals keep their values there.
Regular features are defined to *vanish* there: layers read them as zero and write zero, so
the 2 poles are never stored for features (only scalar signals ``(..., V)`` carry them). Every
other vertex has six neighbours and a flat star, where chart frames continue across seams.

>>> g = IcoGrid(2)
>>> g.num_vertices, g.chart_shape, len(g.corners)
(162, (5, 4, 8), 12)
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from ._finite import CyclicGroup

__all__ = ["IcoGrid", "IcoGroup", "ICO", "OFFSETS"]

#: neighbour slots m = 0..5, counter-clockwise from the frame direction: (Δrow, Δcolumn)
OFFSETS: tuple[tuple[int, int], ...] = ((0, 1), (1, 1), (1, 0), (0, -1), (-1, -1), (-1, 0))


def _base_vertices() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """N, S, upper ring (5, 3), lower ring (5, 3) of the unit icosahedron."""
    lat = math.atan(0.5)
    lon_u = np.deg2rad(72.0 * np.arange(5))
    lon_l = lon_u + np.deg2rad(36.0)

    def ring(lon: np.ndarray, z: float) -> np.ndarray:
        c = math.cos(lat)
        return np.stack([c * np.cos(lon), c * np.sin(lon), np.full(5, z)], axis=1)

    return (
        np.array([0.0, 0.0, 1.0]),
        np.array([0.0, 0.0, -1.0]),
        ring(lon_u, math.sin(lat)),
        ring(lon_l, -math.sin(lat)),
    )


class IcoGrid:
    """The r-times subdivided icosahedron, its 5-chart atlas, neighbours and gauge changes.

    Attributes (NumPy, read-only): ``vertices`` (V, 3) float64 unit vectors; ``vertex_areas`` (V,)
    solid angles of their Voronoi cells (sum 4π); ``corners`` (12,)
    ids of the five-neighbour vertices; ``corner_mask`` (5, n, 2n) bool; ``pad_vertex`` /
    ``pad_shift`` (5, n+2, 2n+2): the vertex id (−1: none needed) and gauge shift s of every
    padded chart point; ``neighbours`` / ``neighbour_shift`` (V, 6): slot-m neighbour of each
    vertex in its chart frame and the shift s with f_{w, in v's frame}[θ] = f_w[θ − s] (rows of
    the 12 corners hold their 5 neighbours counter-clockwise, then −1); ``rotation_perm`` /
    ``rotation_shift`` (60, V): the vertex R_g·x_v and the gauge shift t with R_g mapping the
    slot-m neighbour of v to the slot-(m + t) neighbour of R_g v (0 at the corners);
    ``gauge_group``: ``CyclicGroup(6)``, acting on the orientation axis by its regular
    representation.
    """

    def __init__(self, r: int) -> None:
        if not isinstance(r, int) or isinstance(r, bool) or not 0 <= r <= 10:
            raise ValueError(f"IcoGrid: r must be an int in 0..10 (subdivisions), got {r!r}")
        self.r = r
        self.n = 2**r
        self.chart_shape = (5, self.n, 2 * self.n)
        self.num_chart_vertices = 5 * self.n * 2 * self.n
        self.num_vertices = self.num_chart_vertices + 2
        self.north, self.south = self.num_chart_vertices, self.num_chart_vertices + 1
        #: the gauge group on the orientation axis (regular representation)
        self.gauge_group = CyclicGroup(6)

    def __repr__(self) -> str:
        return f"IcoGrid({self.r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IcoGrid) and other.r == self.r

    def __hash__(self) -> int:
        return hash(("IcoGrid", self.r))

    # ------------------------------------------------------------------------- geometry
    def vid(self, k: int, i: int, j: int) -> int:
        """Vertex id of chart point (k mod 5, i, j) owned by that chart."""
        return (k % 5) * self.n * 2 * self.n + i * 2 * self.n + j

    def chart_point(self, k: int, i: float, j: float) -> np.ndarray:
        """Flat icosahedron point (before normalising) of chart k at lattice (i, j)."""
        n_pole, s_pole, up, lo = _base_vertices()
        u0, u1, l0, l1 = up[k % 5], up[(k + 1) % 5], lo[k % 5], lo[(k + 1) % 5]
        a, b = j / self.n, i / self.n
        if a <= 1 and a >= b:
            return u0 + (a - b) * (l0 - u0) + b * (u1 - u0)
        if a <= 1:
            return u0 + a * (u1 - u0) + (b - a) * (n_pole - u0)
        if a - 1 <= b:
            return l0 + (b - a + 1) * (u1 - l0) + (a - 1) * (l1 - l0)
        return l0 + (a - 1 - b) * (s_pole - l0) + b * (l1 - l0)

    @cached_property
    def vertices(self) -> np.ndarray:
        n = self.n
        pts = [self.chart_point(k, i, j) for k in range(5) for i in range(n) for j in range(2 * n)]
        pts += [np.array([0.0, 0.0, 1.0]), np.array([0.0, 0.0, -1.0])]
        v = np.array(pts)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        v.setflags(write=False)
        return v

    @cached_property
    def vertex_areas(self) -> np.ndarray:
        """(V,) solid angle of each vertex's spherical Voronoi cell (scipy); they sum to 4π.

        The area element for integrals and area-weighted metrics over vertex data: cells near
        the 12 corners are smaller than those at the centres of the base faces.
        """
        from scipy.spatial import SphericalVoronoi

        a = SphericalVoronoi(self.vertices).calculate_areas()
        a.setflags(write=False)
        return a

    @cached_property
    def corners(self) -> np.ndarray:
        ids = [self.vid(k, 0, j) for k in range(5) for j in (0, self.n)]
        c = np.array(sorted(ids + [self.north, self.south]), dtype=np.int64)
        c.setflags(write=False)
        return c

    @cached_property
    def corner_mask(self) -> np.ndarray:
        m = np.zeros(self.chart_shape, dtype=bool)
        m[:, 0, 0] = m[:, 0, self.n] = True
        m.setflags(write=False)
        return m

    # -------------------------------------------------------------------------- padding
    def _pad_rule(self, k: int, i: int, j: int) -> tuple[int, int]:
        """(vertex id or −1, gauge shift) of chart k's padded point (i, j) ∈ [−1, n]×[−1, 2n]."""
        n, w = self.n, 2 * self.n
        if 0 <= i < n and 0 <= j < w:
            return self.vid(k, i, j), 0
        if i == -1 and 0 <= j < n:  # beyond u_k–l_k: chart k−1, same frame
            return self.vid(k - 1, n - 1, j + n), 0
        if i == -1 and n <= j < w:  # beyond l_k–S: chart k−1 turned by +60°
            return self.vid(k - 1, w - j - 1, w - 1), 1
        if i == n and j == 0:
            return self.north, 0
        if i == n and 0 < j < n:  # beyond N–u_{k+1}: chart k+1 turned by +60°
            return self.vid(k + 1, n - j, 0), 1
        if i == n and n <= j <= w:  # beyond u_{k+1}–l_{k+1}: chart k+1, same frame
            return self.vid(k + 1, 0, j - n), 0
        if j == -1 and 0 <= i < n:  # beyond u_k–N: chart k−1 turned by −60°
            return self.vid(k - 1, n - 1, n - i - 1), -1
        if j == w and i == 0:
            return self.south, 0
        if j == w and 0 < i < n:  # beyond S–l_{k+1}: chart k+1 turned by −60°
            return self.vid(k + 1, 0, w - i), -1
        return -1, 0  # (−1, −1), (−1, 2n), (n, −1): read by no vertex with six neighbours

    @cached_property
    def _padding(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.n
        vert = np.full((5, n + 2, 2 * n + 2), -1, dtype=np.int64)
        shift = np.zeros_like(vert)
        for k in range(5):
            for i in range(-1, n + 1):
                for j in range(-1, 2 * n + 1):
                    vert[k, i + 1, j + 1], shift[k, i + 1, j + 1] = self._pad_rule(k, i, j)
        vert.setflags(write=False)
        shift.setflags(write=False)
        return vert, shift

    @property
    def pad_vertex(self) -> np.ndarray:
        return self._padding[0]

    @property
    def pad_shift(self) -> np.ndarray:
        return self._padding[1]

    # ----------------------------------------------------------------------- neighbours
    @cached_property
    def _neighbour_tables(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.n
        nb = np.full((self.num_vertices, 6), -1, dtype=np.int64)
        sh = np.zeros((self.num_vertices, 6), dtype=np.int64)
        pv, ps = self.pad_vertex, self.pad_shift
        for k in range(5):
            for i in range(n):
                for j in range(2 * n):
                    v = self.vid(k, i, j)
                    for m, (di, dj) in enumerate(OFFSETS):
                        nb[v, m] = pv[k, i + 1 + di, j + 1 + dj]
                        sh[v, m] = ps[k, i + 1 + di, j + 1 + dj]
        for c in self.corners:  # five neighbours, counter-clockwise, from geometry
            ring = self._ring(int(c))
            nb[c] = np.concatenate([ring, [-1]])
            sh[c] = 0
        nb.setflags(write=False)
        sh.setflags(write=False)
        return nb, sh % 6

    def _ring(self, c: int) -> np.ndarray:
        x = self.vertices
        d = x @ x[c]
        near = np.argsort(-d)[1:6]
        t1 = x[near[0]] - d[near[0]] * x[c]
        t1 /= np.linalg.norm(t1)
        t2 = np.cross(x[c], t1)
        ang = np.arctan2((x[near] @ t2), (x[near] @ t1)) % (2 * math.pi)
        return near[np.argsort(ang)]

    @property
    def neighbours(self) -> np.ndarray:
        return self._neighbour_tables[0]

    @property
    def neighbour_shift(self) -> np.ndarray:
        return self._neighbour_tables[1]

    # --------------------------------------------------------------------- rotations
    @cached_property
    def _rotation_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """``perm[g, v]``: the vertex R_g·x_v; ``shift[g, v]``: t with R_g mapping the slot-m
        neighbour of v to the slot-(m + t) neighbour of R_g v (0 at the 12 corners)."""
        from scipy.spatial import cKDTree

        tree = cKDTree(self.vertices)
        mats = ICO.matrices
        perm = np.empty((len(mats), self.num_vertices), dtype=np.int64)
        for g, R in enumerate(mats):
            dist, idx = tree.query(self.vertices @ R.T)
            if dist.max() > 1e-9:
                raise RuntimeError("IcoGrid: a rotation does not map the grid onto itself")
            perm[g] = idx
        nb = self.neighbours
        shift = np.zeros_like(perm)
        six = np.setdiff1d(np.arange(self.num_vertices), self.corners)
        for g in range(len(mats)):
            target = perm[g][nb[six, 0]]  # image of slot-0 neighbour
            rows = nb[perm[g][six]]
            shift[g, six] = np.argmax(rows == target[:, None], axis=1)
        perm.setflags(write=False)
        shift.setflags(write=False)
        return perm, shift

    @property
    def rotation_perm(self) -> np.ndarray:
        return self._rotation_tables[0]

    @property
    def rotation_shift(self) -> np.ndarray:
        return self._rotation_tables[1]


class IcoGroup:
    """The 60 rotations of the icosahedron (the chiral icosahedral group I ≅ A5) as 3×3
    matrices; element 0 is the identity. Generated by Rz(72°) and the half-turn swapping N and
    u_0, closed under products, sorted lexicographically after the identity. ``compose(g, h)``
    is the matrix product R_g R_h (act with h first).

    >>> ICO.order, ICO.compose(7, ICO.inverse(7)), ICO.element_name(0)
    (60, 0, 'identity')
    """

    name = "ico"
    order = 60

    @cached_property
    def matrices(self) -> np.ndarray:
        n_pole, _, up, _ = _base_vertices()
        c, s = math.cos(2 * math.pi / 5), math.sin(2 * math.pi / 5)
        rz = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        axis = (n_pole + up[0]) / np.linalg.norm(n_pole + up[0])
        half = 2 * np.outer(axis, axis) - np.eye(3)
        found = {self._key(np.eye(3)): np.eye(3)}
        frontier = [np.eye(3)]
        while frontier:
            nxt = []
            for m in frontier:
                for gen in (rz, half):
                    p = gen @ m
                    if (key := self._key(p)) not in found:
                        found[key] = p
                        nxt.append(p)
            frontier = nxt
        if len(found) != 60:
            raise RuntimeError(f"IcoGroup: generated {len(found)} rotations, expected 60")
        keys = sorted(found, key=lambda k: (k != self._key(np.eye(3)), k))
        mats = np.stack([found[k] for k in keys])
        mats.setflags(write=False)
        return mats

    @staticmethod
    def _key(m: np.ndarray) -> tuple[int, ...]:
        return tuple(np.rint(m * 1e8).astype(np.int64).ravel().tolist())

    def elements(self) -> range:
        """The indices 0..59 of the 60 rotations (0 is the identity)."""
        return range(60)

    @cached_property
    def table(self) -> np.ndarray:
        keys = {self._key(m): i for i, m in enumerate(self.matrices)}
        t = np.array([[keys[self._key(a @ b)] for b in self.matrices] for a in self.matrices])
        t.setflags(write=False)
        return t

    def compose(self, g: int, h: int) -> int:
        """g·h: rotate by h, then by g (the matrices' product R_g R_h)."""
        return int(self.table[self._check(g), self._check(h)])

    def inverse(self, g: int) -> int:
        """g⁻¹ (the transposed matrix)."""
        return int(np.argmax(self.table[self._check(g)] == 0))

    def _check(self, g: int) -> int:
        if isinstance(g, bool) or int(g) != g or not 0 <= int(g) < 60:
            raise ValueError(f"ico has elements 0..59, got {g!r}")
        return int(g)

    def element_name(self, g: int) -> str:
        """``'rot 72° about (x, y, z)'`` (axis rounded), ``'identity'`` for 0."""
        R = self.matrices[self._check(g)]
        angle = math.degrees(math.acos(max(-1.0, min(1.0, (np.trace(R) - 1) / 2))))
        if angle < 1e-6:
            return "identity"
        w, v = np.linalg.eig(R)
        axis = np.real(v[:, np.argmin(np.abs(w - 1))])
        axis = axis if (axis @ np.array([1e-3, 1e-2, 1.0])) >= 0 else -axis
        if angle < 179.999:  # orient the axis so that the angle is counter-clockwise
            ref = np.array([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])
            axis = axis if ref @ axis > 0 else -axis
        return f"rot {angle:.0f}° about ({axis[0]:.2f}, {axis[1]:.2f}, {axis[2]:.2f})"

    def __repr__(self) -> str:
        return "ICO"

    def __str__(self) -> str:
        return self.name


#: the icosahedral rotation group (``gconv.groups.get("ico")``)
ICO = IcoGroup()
