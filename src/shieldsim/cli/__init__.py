"""The ``shieldsim`` command. One module per sub-command; each imports its physics lazily,
inside the command, so that ``shieldsim --help`` answers quickly."""

from __future__ import annotations

import sys

import typer

from .. import __version__

app = typer.Typer(
    name="shieldsim",
    help="Analyse ballistic-missile-defence architectures with public physics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"shieldsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version_callback, is_eager=True,
                                 help="Print the shieldsim version and exit."),
) -> None:
    """Analyse ballistic-missile-defence architectures with public physics."""


def _register() -> None:
    """Import every command module of this package; each adds its command(s) to `app`."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        if module.name not in ("output", "folders"):
            importlib.import_module(f"{__name__}.{module.name}")


_register()


# Typer may vendor Click or use it; find its exception classes through the public BadParameter.
_UsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_CliError = _UsageError.__mro__[1]


def _allowed_range(param) -> str | None:
    """The allowed range an option's help states at its end, e.g. '[-90, 90]'."""
    import re

    found = re.search(r"(\[[^\]]*\])\.?$", getattr(param, "help", None) or "")
    return found.group(1) if found else None


def _nan_input(err) -> str | None:
    """The value given to an option if the option's check refused it and it reads as NaN."""
    import math

    errors = getattr(err.__cause__, "errors", None)
    if not callable(errors):
        return None
    try:
        value = errors()[0].get("input")
        return str(value) if math.isnan(float(value)) else None
    except (TypeError, ValueError, IndexError, AttributeError):
        return None


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; usage errors are one line on stderr with exit code 2. Output
    folders the command claimed are recorded as complete or failed when it ends (`folders`)."""
    from . import folders

    folders.begin(argv)
    ok = False
    try:
        code = app(args=argv, standalone_mode=False, prog_name="shieldsim")
        ok = code in (None, 0)
    except _UsageError as err:
        if type(err).__name__ == "NoArgsIsHelpError":
            typer.echo(err.ctx.get_help() if err.ctx else err.format_message())
            sys.exit(0)
        cmd = err.ctx.command_path if err.ctx is not None else "shieldsim"
        nan = _nan_input(err)
        if nan is not None:  # a range check would say "should be <= 90" of a value that is no number
            err.message = f"{nan!r} is not a number"
        message = " ".join(err.format_message().split())
        allowed = _allowed_range(getattr(err, "param", None)) if type(err).__name__ == "BadParameter" else None
        if allowed and allowed not in message:
            message += f" (allowed: {allowed})"
        typer.echo(f"{cmd}: error: {message}", err=True)
        sys.exit(2)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(130)
    except typer.Exit as ex:
        ok = ex.exit_code == 0
        sys.exit(ex.exit_code)
    except _CliError as err:
        typer.echo(f"shieldsim: error: {err.format_message()}", err=True)
        sys.exit(getattr(err, "exit_code", 1))
    finally:
        folders.finish(ok)
    sys.exit(code if isinstance(code, int) else 0)
