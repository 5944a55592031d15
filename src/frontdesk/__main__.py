"""`python -m frontdesk`: the same command as the `frontdesk` script, for hosts without the script on PATH."""

import sys

from frontdesk.cli import main

sys.exit(main())
