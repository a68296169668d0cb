import sys

from vocalis.studio.cli.main import main

sys.exit(main())
