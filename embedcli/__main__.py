"""`python -m embedcli` runs the same app as the `embedcli` console script."""

from embedcli.cli.app import app

if __name__ == "__main__":
    app(prog_name="embedcli")
