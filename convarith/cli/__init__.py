"""The ``convarith`` command line: parse, call the API, format. Nothing else lives here.

Only Typer, Rich and the pure-Python core are imported at start-up; commands that need
NumPy or matplotlib import them inside the command.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from .. import interrupt, limits
from ..errors import ConvarithError
from ..interrupt import Interrupted


class OneLineErrors(TyperGroup):
    """Every user mistake ends as one line ``error: ...`` on stderr and exit code 2.

    Typer's usage errors are ``typer.TyperException``s (Typer 0.28 vendors click); convarith's
    own are ``ConvarithError``s.
    """

    def main(  # type: ignore[override]  # NoReturn: it always exits
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> NoReturn:
        try:
            with limits.restored():  # --max-memory and friends last for this command only
                result = super().main(
                    args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra
                )
            sys.stdout.flush()
            interrupt.check()  # a signal whose exception Python swallowed (an at-fork hook) still ends the run
        except ConvarithError as exc:
            fail(str(exc))
        except Interrupted as exc:
            exit_interrupted(exc)
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # the reader went away (| head): stop quietly, as cat does
                _quiet_stdout()
                sys.exit(0)
            if exc.filename is None and exc.errno in (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG):
                _quiet_stdout()
                fail(f"cannot write the output: {exc.strerror}")
            raise
        except typer.Abort:
            fail("aborted")
        except typer.TyperException as exc:  # a usage error Typer found: its message, on one line
            fail(" ".join(_usage_message(exc).split()))
        except Exception as exc:
            kind = type(exc).__name__
            if os.environ.get("CONVARITH_DEBUG"):
                raise
            typer.echo(
                f"error: internal error, please report it with the command line: {kind}: "
                f"{one_line(str(exc))[:300]} (CONVARITH_DEBUG=1 shows the traceback)",
                err=True,
            )
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # click.Context, vendored by Typer
        # Typer would raise a usage error carrying the help; a bare `convarith` is a request
        # for help, so it is shown and the command succeeds.
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            help_text = ctx.get_help()  # Typer's Rich help prints itself and returns ""
            if help_text:
                typer.echo(help_text)
            ctx.exit(0)
        return super().parse_args(ctx, args)


def _usage_message(exc: typer.TyperException) -> str:
    format_message = getattr(exc, "format_message", None)  # click's usage errors add the option's name
    return str(format_message()) if callable(format_message) else str(exc)


def exit_interrupted(exc: Interrupted) -> NoReturn:
    import signal

    _quiet_stdout()
    typer.echo(f"error: interrupted by {signal.Signals(exc.signum).name}", err=True)
    sys.exit(128 + exc.signum)


def one_line(message: str) -> str:
    """Newlines (say, in a file name) shown as \\n, so an error stays one line."""
    return message.replace("\r", "\\r").replace("\n", "\\n")


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {one_line(message)}", err=True)
    sys.exit(2)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


app = typer.Typer(
    cls=OneLineErrors,
    help="Exact convolution arithmetic for PyTorch, TensorFlow and Keras.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",  # docstring paragraphs reflow to the terminal instead of keeping their line breaks
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """Exact convolution arithmetic for PyTorch, TensorFlow and Keras."""
    if version:
        from .. import __version__

        typer.echo(f"convarith {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)


from . import animate as _animate  # noqa: E402, F401
from . import apply as _apply  # noqa: E402, F401
from . import gallery as _gallery  # noqa: E402, F401
from . import plan as _plan  # noqa: E402, F401
from . import port as _port  # noqa: E402, F401
from . import shape as _shape  # noqa: E402, F401  (commands register themselves on app)
from . import solve as _solve  # noqa: E402, F401
from . import tour as _tour  # noqa: E402, F401


def main(argv: Sequence[str] | None = None) -> None:
    interrupt.install()
    try:
        app(args=argv, prog_name="convarith")
    except Interrupted as exc:  # a signal while Typer still builds the command, before main's own handling
        exit_interrupted(exc)
