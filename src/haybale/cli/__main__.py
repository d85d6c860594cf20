"""``python -m haybale.cli`` runs the ``haybale`` command."""

from __future__ import annotations

import sys

from haybale.cli._main import main

sys.exit(main())
