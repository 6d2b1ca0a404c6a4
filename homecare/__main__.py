"""`python -m homecare` is the `homecare` command."""

from homecare.cli import main

main()
