import sys

from devstack.main import main

sys.exit(main())
