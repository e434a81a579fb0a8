# SPDX-License-Identifier: MIT
PACKAGE = "gconv.models"
ROWS = []
