# SPDX-License-Identifier: MIT
PACKAGE = "gconv.equivariance"
ROWS = []
