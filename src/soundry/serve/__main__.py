import sys

from soundry.serve.server import cli

sys.exit(cli())
