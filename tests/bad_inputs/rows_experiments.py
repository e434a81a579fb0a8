# SPDX-License-Identifier: MIT
PACKAGE = "gconv.experiments"
ROWS = []
