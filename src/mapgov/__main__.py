"""Allow ``python -m mapgov``."""

from mapgov.cli import main

raise SystemExit(main())
