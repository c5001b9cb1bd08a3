"""The gallery: Dumoulin & Visin's 15 animations under their original names, and more.

``build`` draws every entry into a hidden staging folder inside the target, in a process
pool, and only then moves the results into place (README.md first, so the folder is known
as a gallery from then on). An error or an interruption (Ctrl-C, SIGTERM, SIGHUP) stops
and terminates the workers and removes the staging folder: the target keeps its old
content, or, if the run created it, is removed again. Workers ignore SIGINT (the parent
decides), die on SIGTERM/SIGHUP, and die with the parent (Linux's parent-death signal).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from ..dialects.common import fmt
from ..errors import ConvarithError, InputFileError, ShapeError
from ..layers import Layer, make_layer

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

Param = int | str | bool | tuple[int, ...]  # a layer argument, as make_layer takes it


@dataclass(frozen=True)
class Entry:
    name: str
    caption: str
    op: str  # as on the command line: conv, conv-transpose, max-pool, avg-pool
    input: tuple[int, ...]
    params: dict[str, Param] = field(default_factory=dict)
    framework: str = "torch"
    values: bool = False
    canonical: bool = False
    output_size: tuple[int, ...] | None = None  # a transposed layer's requested output (tf: output_shape)

    def layer(self) -> Layer:
        return make_layer(self.op, framework=self.framework, **self.params)

    def command(self, suffix: str = ".gif") -> str:
        """The `convarith animate` command that draws this entry (``suffix``: .gif or .html)."""
        words = ["convarith animate", self.op, "-i", fmt(self.input)]
        for name, value in self.params.items():
            flag = {"kernel_size": "-k", "stride": "-s", "padding": "-p", "dilation": "-d"}.get(name)
            flag = flag or "--" + name.replace("_", "-")
            if value is True:
                words.append(flag)
            else:
                words += [flag, fmt(value) if isinstance(value, tuple) else str(value)]
        if self.output_size is not None:
            words += ["--output-size", fmt(self.output_size)]
        if self.framework != "torch":
            words += ["-f", self.framework]
        if self.values:
            words.append("--values")
        words += ["-o", f"{self.name}{suffix}"]
        return " ".join(words)


class Drawn(NamedTuple):
    """One animation drawn by ``render``."""

    name: str
    frames: int
    size: int  # bytes of the GIF
    seconds: float
    html_size: int = 0  # bytes of the player page, when one was written


def _canonical(name: str, i: int, k: int, s: int, p: int, d: int = 1) -> list[Entry]:
    """A convolution of the guide and, for all but dilation, its transpose drawn from the output side."""
    caption = f"i={i}, k={k}, s={s}, p={p}" + (f", d={d}" if d > 1 else "")
    conv = make_layer("conv", kernel_size=k, stride=s, padding=p, dilation=d)
    entries = [Entry(name, f"convolution, {caption}", "conv", (i, i), _params(k, s, p, d), canonical=True)]
    if d == 1:
        o = conv.arithmetic((i, i))[0].output
        a = (i + 2 * p - k) % s  # the output padding that brings the transpose back to i
        params = _params(k, s, p, d)
        if a:
            params["output_padding"] = a
        entries.append(
            Entry(
                f"{name}_transposed",
                f"transposed convolution of the above ({o} -> {i})",
                "conv-transpose",
                (o, o),
                params,
                canonical=True,
            )
        )
    return entries


def _params(k: int, s: int, p: int, d: int) -> dict[str, Param]:
    params: dict[str, Param] = {"kernel_size": k}
    if s != 1:
        params["stride"] = s
    if p:
        params["padding"] = p
    if d != 1:
        params["dilation"] = d
    return params


CANONICAL = [
    *_canonical("no_padding_no_strides", 4, 3, 1, 0),
    *_canonical("arbitrary_padding_no_strides", 5, 4, 1, 2),
    *_canonical("same_padding_no_strides", 5, 3, 1, 1),
    *_canonical("full_padding_no_strides", 5, 3, 1, 2),
    *_canonical("no_padding_strides", 5, 3, 2, 0),
    *_canonical("padding_strides", 5, 3, 2, 1),
    *_canonical("padding_strides_odd", 6, 3, 2, 1),
    *_canonical("dilation", 7, 3, 1, 0, 2),
]

EXTRAS = [
    Entry(
        "dilation_transposed",
        "transposed convolution with dilation 2 (3 -> 7): the originals never drew it",
        "conv-transpose",
        (3, 3),
        {"kernel_size": 3, "dilation": 2},
    ),
    Entry(
        "rectangular_per_axis",
        "rectangular input and kernel, stride 2 down and 1 across",
        "conv",
        (5, 7),
        {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0)},
    ),
    Entry(
        "tf_same_strides",
        "TensorFlow SAME at stride 2 on 6x6: the one padding row and column go after",
        "conv",
        (6, 6),
        {"kernel_size": 3, "stride": 2, "padding": "SAME"},
        framework="tf",
    ),
    Entry(
        "tf_same_strides_transposed",
        "TensorFlow conv2d_transpose, SAME, stride 2 (3 -> 6)",
        "conv-transpose",
        (3, 3),
        {"kernel_size": 3, "stride": 2, "padding": "SAME"},
        framework="tf",
        output_size=(6, 6),  # tf.nn.conv2d_transpose is told its output_shape; 5x5 would also be valid
    ),
    Entry("max_pooling", "max pooling, 2x2 windows at stride 2", "max-pool", (6, 6), {"kernel_size": 2}),
    Entry(
        "average_pooling",
        "average pooling, 3x3 windows, stride 1, padding 1",
        "avg-pool",
        (5, 5),
        {"kernel_size": 3, "stride": 1, "padding": 1},
    ),
    Entry(
        "max_pooling_ceil_mode",
        "max pooling with ceil_mode: the last window hangs over the edge",
        "max-pool",
        (5, 5),
        {"kernel_size": 2, "ceil_mode": True},
    ),
    Entry("conv_1d", "1-D convolution, k=3, s=2, p=1", "conv", (8,), {"kernel_size": 3, "stride": 2, "padding": 1}),
    Entry("conv_1d_dilation", "1-D convolution with dilation 3", "conv", (9,), {"kernel_size": 3, "dilation": 3}),
    Entry(
        "conv_transpose_1d",
        "1-D transposed convolution, k=3, s=2, p=1 (4 -> 7)",
        "conv-transpose",
        (4,),
        {"kernel_size": 3, "stride": 2, "padding": 1},
    ),
    Entry(
        "depthwise",
        "depthwise convolution, 3 -> 3 channels, groups=3: each output channel reads its own input channel",
        "conv",
        (5, 5),
        {"kernel_size": 3, "groups": 3, "in_channels": 3, "out_channels": 3},
    ),
    Entry(
        "grouped",
        "grouped convolution, 4 -> 2 channels, groups=2: each output channel reads the 2 inputs of its group",
        "conv",
        (5, 5),
        {"kernel_size": 3, "groups": 2, "in_channels": 4, "out_channels": 2},
    ),
    Entry(
        "numerical_no_padding_no_strides",
        "numbers: convolution, i=5, k=3",
        "conv",
        (5, 5),
        {"kernel_size": 3},
        values=True,
    ),
    Entry(
        "numerical_padding_strides",
        "numbers: convolution, i=5, k=3, s=2, p=1",
        "conv",
        (5, 5),
        {"kernel_size": 3, "stride": 2, "padding": 1},
        values=True,
    ),
    Entry(
        "numerical_max_pooling",
        "numbers: max pooling, 3x3 windows, stride 1",
        "max-pool",
        (5, 5),
        {"kernel_size": 3, "stride": 1},
        values=True,
    ),
    Entry(
        "numerical_average_pooling",
        "numbers: average pooling, 3x3 windows, stride 1",
        "avg-pool",
        (5, 5),
        {"kernel_size": 3, "stride": 1},
        values=True,
    ),
]

ENTRIES = CANONICAL + EXTRAS


def frames(entry: Entry) -> int:
    """One per output position (and output channel, in a channel view)."""
    count = int(entry.params.get("out_channels", 1))  # type: ignore[arg-type]
    for ax in entry.layer().arithmetic(entry.input, entry.output_size):
        count *= ax.output
    return count


def render(entry: Entry, folder: str, duration: int = 1000, html: bool = False) -> Drawn:
    """Draw one entry to ``folder/<name>.gif``, and with ``html`` its player to
    ``folder/<name>.html``. Runs in a worker."""
    from . import save, scene
    from .raster import keep_freed_memory

    keep_freed_memory()
    start = time.perf_counter()
    path = Path(folder) / f"{entry.name}.gif"
    drawn = scene(entry.layer(), entry.input, values=entry.values, output_size=entry.output_size)
    save(drawn, path, duration=duration)
    html_size = 0
    if html:
        from .player import player

        page = Path(folder) / f"{entry.name}.html"
        layer, size = entry.layer(), entry.output_size
        player(layer, entry.input, values=entry.values, duration=duration, output_size=size).save(page)
        html_size = page.stat().st_size
    return Drawn(entry.name, len(drawn.frames), path.stat().st_size, time.perf_counter() - start, html_size)


INDEX_MARK = "Generated by `convarith gallery`"


def prepare(path: str | os.PathLike[str], force: bool = False, create: bool = True) -> Path:
    """Create folder ``path``, or check that it is empty or an earlier gallery: never overwrite
    someone's README.md or pictures unless asked to. ``create=False`` only checks."""
    from ..images import shown

    folder = Path(path)
    name = shown(folder)
    if folder.exists() and not folder.is_dir():
        raise InputFileError("dir", f"{name} exists and is not a folder")
    try:
        if folder.is_dir() and not force:
            index = folder / "README.md"
            ours = False
            if index.is_file():
                with open(index, encoding="utf-8", errors="replace") as handle:
                    ours = INDEX_MARK in handle.read(500)
            mine = {f"{e.name}{suffix}" for e in ENTRIES for suffix in (".gif", ".html")} | {"README.md", "index.html"}
            clashes = [p.name for p in folder.iterdir() if p.name in mine]
            if clashes and not ours:
                raise InputFileError(
                    "dir",
                    f"{name} already holds {', '.join(sorted(clashes)[:3])}"
                    f"{' ...' if len(clashes) > 3 else ''} and is not a gallery: "
                    "choose another folder or pass --force to overwrite",
                )
        if create:
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputFileError("dir", f"cannot create {name}: {exc.strerror or exc}") from None
    return folder


STAGING = ".gallery-staging-"


def _staging_pid(path: Path) -> int | None:
    try:
        return int(path.name[len(STAGING) :].split("-")[0])
    except ValueError:
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale_staging(folder: Path) -> None:
    """Staging folders left by a run that was killed outright (SIGKILL): their process is gone."""
    try:
        leftovers = [p for p in folder.iterdir() if p.name.startswith(STAGING) and p.is_dir()]
    except OSError:
        return
    for path in leftovers:
        pid = _staging_pid(path)
        if pid is not None and pid != os.getpid() and not _alive(pid):
            shutil.rmtree(path, ignore_errors=True)


def build(
    path: str | os.PathLike[str],
    force: bool = False,
    on_done: Callable[[Drawn], object] | None = None,
    workers: int | None = None,
    duration: int = 1000,
    html: bool = False,
) -> list[Drawn]:
    """Draw the whole gallery into folder ``path`` with its README.md (and with ``html`` a
    player per entry and index.html linking them): one Drawn per entry, in ENTRIES order.
    All or nothing: see the module's docstring."""
    import tempfile

    from ..images import write_atomically
    from . import check_duration

    folder = Path(path)
    check_workers(workers)
    check_duration(duration)
    created = not folder.exists()
    prepare(folder, force)
    staging = None
    try:
        remove_stale_staging(folder)
        try:
            staging = Path(tempfile.mkdtemp(prefix=f"{STAGING}{os.getpid()}-", dir=folder))
        except OSError as exc:
            raise InputFileError("dir", f"cannot write in {folder}: {exc.strerror or exc}") from None
        results = run(staging, on_done=on_done, workers=workers, duration=duration, html=html)
        text = index(results)
        write_atomically(folder / "README.md", lambda target: Path(target).write_text(text, encoding="utf-8"))
        names = [
            f"{result.name}{suffix}" for result in results for suffix in (".gif", ".html") if html or suffix == ".gif"
        ]
        if html:
            page = index_html(results)
            write_atomically(staging / "index.html", lambda target: Path(target).write_text(page, encoding="utf-8"))
            names.append("index.html")
        for name in names:
            try:
                os.replace(staging / name, folder / name)
            except OSError as exc:
                raise InputFileError("dir", f"could not move {name} into {folder}: {exc.strerror or exc}") from None
        return results
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if nothing was published: an empty folder we made


_HELD = {getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)}


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP while workers are forked, and deliver them after: Python
    runs a handler that fires during fork inside an at-fork hook, where its exception is
    printed as 'Exception ignored' and lost."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _worker_start(parent: int) -> None:
    """In each worker: Ctrl-C is the parent's to handle; SIGTERM and SIGHUP kill (the parent
    removes the staging folder, temporary files included); and die if the parent dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):  # forked while the parent held them (_signals_held)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _workers(pool: ProcessPoolExecutor) -> list[BaseProcess]:
    return list((getattr(pool, "_processes", None) or {}).values())


def _stop(pool: ProcessPoolExecutor, known: Iterable[BaseProcess] = ()) -> None:
    """Cancel what has not started and end every worker now (ProcessPoolExecutor.shutdown
    would wait for the running ones). ``known``: workers seen earlier, in case a broken
    pool has already forgotten them."""
    processes = list({id(p): p for p in [*known, *_workers(pool)]}.values())  # shutdown forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + 3
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1)


def _failure(entry: Entry, exc: BaseException) -> ConvarithError:
    from concurrent.futures.process import BrokenProcessPool

    from .. import interrupt

    interrupt.check()  # a worker lost to a signal: the signal is the answer, not a failure
    if isinstance(exc, ConvarithError):
        return exc
    if isinstance(exc, BrokenProcessPool):
        return ShapeError("gallery", "a worker process stopped unexpectedly (killed, or out of memory)")
    reason = " ".join(str(exc).split())[:200]
    return ShapeError("gallery", f"drawing {entry.name} failed: {type(exc).__name__}{': ' + reason if reason else ''}")


MAX_WORKERS = 64


def check_workers(workers: object) -> None:
    from numbers import Integral

    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, Integral) or not 1 <= int(workers) <= MAX_WORKERS
    ):
        raise ShapeError("workers", f"must be a whole number from 1 to {MAX_WORKERS}, got {workers!r}")


def run(
    path: str | os.PathLike[str],
    on_done: Callable[[Drawn], object] | None = None,
    workers: int | None = None,
    duration: int = 1000,
    html: bool = False,
) -> list[Drawn]:
    """Render every entry into ``folder`` with a process pool; ``on_done(result)`` after each.

    Any failure of a worker becomes one ShapeError; on any exception or interruption the
    workers are terminated before it propagates. (``build`` adds the staging folder.)
    """
    folder = Path(path)
    check_workers(workers)
    ordered = sorted(ENTRIES, key=frames, reverse=True)  # longest first balances the pool
    processes = min(int(workers or os.cpu_count() or 1), len(ordered))
    results: list[Drawn] = []
    if processes == 1:
        for entry in ordered:
            try:
                results.append(render(entry, str(folder), duration, html))
            except Exception as exc:
                raise _failure(entry, exc) from None
            if on_done:
                on_done(results[-1])
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)  # fork: no re-imports
        pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_worker_start, initargs=(os.getpid(),))
        known: list[BaseProcess] = []
        try:
            with _signals_held():  # the workers are forked here: no handler may run inside a fork
                futures = {pool.submit(render, entry, str(folder), duration, html): entry for entry in ordered}
            known = _workers(pool)
            for future in as_completed(futures):
                try:
                    results.append(future.result())
                except Exception as exc:
                    raise _failure(futures[future], exc) from None
                if on_done:
                    on_done(results[-1])
        except BaseException:
            _stop(pool, known)
            raise
        pool.shutdown(wait=True)
    by_name = {r.name: r for r in results}
    return [by_name[e.name] for e in ENTRIES]


def index(results: Iterable[Drawn]) -> str:
    """DIR/README.md: every animation with its parameters and the command that made it."""
    drawn = {r.name: r for r in results}
    lines = [
        "# Gallery",
        "",
        f"{INDEX_MARK}; every file here is redrawn by that command.",
        "The first fifteen are Dumoulin & Visin's animations from *A guide to convolution arithmetic",
        "for deep learning* (arXiv:1603.07285), under their original names and configurations",
        "(blue: input, cyan: output, dashed: padding or inserted zeros).",
        "",
    ]
    for title, group in (("The guide's animations", CANONICAL), ("Beyond the guide", EXTRAS)):
        lines += [f"## {title}", ""]
        for entry in group:
            lines += [
                f"### {entry.name}",
                "",
                f"{entry.caption}; {drawn[entry.name].frames} frames, {drawn[entry.name].size:,} bytes.",
                "",
                f"![{entry.name}]({entry.name}.gif)",
                "",
                "```",
                entry.command(),
                "```",
                "",
            ]
    return "\n".join(lines)


def index_html(results: Iterable[Drawn]) -> str:
    """DIR/index.html: every animation, each linking to its player; no network needed."""
    from html import escape

    drawn = {r.name: r for r in results}
    parts = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>convarith gallery</title>\n'
        "<style>body{margin:16px;font-family:'DejaVu Sans',Verdana,Arial,sans-serif;color:#002b36}"
        ".grid{display:flex;flex-wrap:wrap;gap:18px}figure{margin:0;width:260px}"
        "figure img{width:260px;height:200px;object-fit:contain;border:1px solid #eee8d5}"
        "figcaption{font-size:13px;overflow-wrap:anywhere}code{font-size:11px;color:#586e75}</style>\n"
        "</head>\n<body>\n<h1>convarith gallery</h1>\n"
        "<p>Generated by <code>convarith gallery --html</code>. "
        "The first fifteen are Dumoulin &amp; Visin's animations from "
        "<i>A guide to convolution arithmetic for deep learning</i> (arXiv:1603.07285). "
        "Click one to open its player: scrub the frames, point at an output to see its window, "
        "at an input to see the outputs it feeds.</p>\n"
    ]
    for title, group in (("The guide's animations", CANONICAL), ("Beyond the guide", EXTRAS)):
        parts.append(f'<h2>{escape(title)}</h2>\n<div class="grid">\n')
        for entry in group:
            name = escape(entry.name)
            parts.append(
                f'<figure id="{name}"><a href="{name}.html"><img src="{name}.gif" alt="{name}"></a>'
                f'<figcaption><a href="{name}.html"><b>{name}</b></a><br>{escape(entry.caption)}; '
                f"{drawn[entry.name].frames} frames<br><code>{escape(entry.command('.html'))}</code>"
                "</figcaption></figure>\n"
            )
        parts.append("</div>\n")
    parts.append("</body>\n</html>\n")
    return "".join(parts)
