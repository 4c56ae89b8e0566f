"""`python -m bot` is `hocvuso`."""

from bot.cli import main

raise SystemExit(main())
