# SPDX-License-Identifier: MIT
PACKAGE = "gconv.data"
ROWS = []
