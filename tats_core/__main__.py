from tats_core.cli import main

raise SystemExit(main())
