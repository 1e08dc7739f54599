"""``python -m brief`` runs the command-line interface."""

from brief.cli import main

if __name__ == "__main__":  # not when a worker process imports this module
    main()
