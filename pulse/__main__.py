from pulse.cli import main

raise SystemExit(main())
