# SPDX-License-Identifier: MIT
PACKAGE = "gconv.benchmark"
ROWS = []
