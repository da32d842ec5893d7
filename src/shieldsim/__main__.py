"""``python -m shieldsim`` runs the command-line interface."""

from shieldsim.cli import main

if __name__ == "__main__":
    main()
