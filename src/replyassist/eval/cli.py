"""``replyassist eval``: draft a set of cases with each composer, score them, write the report.

The cases are a JSONL file (``replyassist eval CASES --kb KB``) or a public suite built on the spot
from the public data folder (``replyassist eval --suite tweets``, see :mod:`replyassist.eval.suites`).

Exit codes: 0 when every ``--fail-under`` threshold is met; 1 when one is not (or on a library
error, printed as one line); 2 for a usage error (a bad threshold, an unknown composer or suite,
CASES and ``--suite`` both or neither, no data folder).

Everything beyond Typer and Rich is imported inside the command: ``import replyassist.cli`` mounts
this command, and must stay cheap and work without the optional extras (LangChain, rank_bm25).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from replyassist._errors import ConfigurationError, ReplyAssistError

if TYPE_CHECKING:
    from replyassist.drafting.llm import ModelSettings
    from replyassist.eval.composers import DraftRunner
    from replyassist.eval.judge import Judge

__all__ = ["Threshold", "app", "evaluate", "parse_threshold"]

COMPOSERS = ("offline", "model", "baseline")
NO_MODEL = "no model configured (give --model, or set OPENAI_API_KEY or OPENAI_BASE_URL)"
SUITE_CACHE = Path(".replyassist") / "eval"
"""Where ``--suite NAME`` builds its cases and KB (``<this>/NAME``), relative to the working folder."""
REPORT_DIR = Path("eval-report")

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
out = Console(soft_wrap=False)
err = Console(stderr=True)


@dataclass(frozen=True)
class Threshold:
    """``--fail-under [composer.]metric=value``: the metric must be at least ``value`` (0-1)."""

    metric: str
    value: float
    composer: str | None = None


def parse_threshold(spec: str) -> Threshold:
    """Read ``metric=0.9``, ``metric=90%`` or ``offline.metric=0.9``.

    Raises:
        typer.BadParameter: malformed, an unknown metric or composer, or a value outside 0-1.
    """
    from replyassist.eval.scoring import METRICS

    match = re.fullmatch(r"\s*(?:(\w+)\.)?(\w+)\s*=\s*([0-9.]+)\s*(%?)\s*", spec)
    if match is None:
        raise typer.BadParameter(
            f"{spec!r}: write metric=value, e.g. decision_accuracy=0.9 or grounding=100%"
        )
    composer, metric, number, percent = match.groups()
    if metric not in METRICS:
        raise typer.BadParameter(f"{spec!r}: unknown metric {metric!r}; known: {', '.join(METRICS)}")
    if composer is not None and composer not in COMPOSERS:
        raise typer.BadParameter(f"{spec!r}: unknown composer {composer!r}; known: {', '.join(COMPOSERS)}")
    try:
        value = float(number) / (100 if percent else 1)
    except ValueError:
        raise typer.BadParameter(f"{spec!r}: {number!r} is not a number") from None
    if not 0 <= value <= 1:
        raise typer.BadParameter(f"{spec!r}: the value must be between 0 and 1 (or 0% and 100%)")
    return Threshold(metric, value, composer)


def check_thresholds(figures: dict[str, Any], thresholds: Sequence[Threshold]) -> list[str]:
    """The thresholds missed, in words. A metric no case measured counts as missed."""
    missed: list[str] = []
    for t in thresholds:
        for composer in [t.composer] if t.composer else list(figures["composers"]):
            comp = figures["composers"].get(composer)
            if comp is None:
                missed.append(f"{composer}.{t.metric}: the composer did not run")
                continue
            metric = comp["metrics"].get(t.metric)
            if metric is None:
                missed.append(f"{composer}.{t.metric}: no case measured it")
            elif metric["value"] < t.value:
                missed.append(f"{composer}.{t.metric} = {metric['value']:.1%} < {t.value:.1%}")
    return missed


def _settings(model: str | None) -> ModelSettings | None:
    from replyassist.drafting.llm import ModelSettings, model_from_env

    name = model if model is not None else model_from_env()
    if name is None or name.strip().lower() in {"offline", "none", "off", ""}:
        return None
    return ModelSettings.from_env(name)


def _runners(
    composers: Sequence[str], settings: ModelSettings | None, timeout: float, judge: bool
) -> tuple[list[DraftRunner], dict[str, str], Judge | None, str | None]:
    """The runners that can run, the reasons of those that cannot, and the judge."""
    from replyassist.eval.composers import PipelineRunner

    runners: list[DraftRunner] = []
    not_run: dict[str, str] = {}
    for name in composers:
        if name == "offline":
            runners.append(PipelineRunner("offline", "offline"))
        elif settings is None:
            not_run[name] = NO_MODEL
        else:
            try:
                runners.append(_model_runner(name, settings, timeout))
            except ConfigurationError as exc:  # a missing key or extra: say so, run the rest
                not_run[name] = str(exc)
    the_judge: Judge | None = None
    judge_note = None
    if judge:
        if settings is None:
            judge_note = NO_MODEL
        else:
            from replyassist.eval.judge import Judge

            try:
                the_judge = Judge(settings.chat_model(timeout=timeout))
            except ConfigurationError as exc:
                judge_note = str(exc)
    return runners, not_run, the_judge, judge_note


def _model_runner(name: str, settings: ModelSettings, timeout: float) -> DraftRunner:
    from replyassist.eval.composers import PipelineRunner, PromptRecorder, chat_model_for

    recorder = PromptRecorder()
    chat = chat_model_for(settings, recorder, timeout=timeout)
    if name == "baseline":
        from replyassist.eval.baseline import BaselineRunner

        return BaselineRunner(chat, recorder)
    from replyassist.drafting.llm import LLMComposer

    return PipelineRunner("model", LLMComposer(chat, name=settings.name, deadline=timeout), recorder)


def _summary(figures: dict[str, Any], names: Sequence[str]) -> Table:
    from replyassist.eval.scoring import METRICS

    table = Table("metric", *names, title="replyassist eval")
    for metric in METRICS:
        cells = []
        for name in names:
            m = figures["composers"][name]["metrics"].get(metric)
            cells.append(f"{m['value']:.1%} ({m['hits']:g}/{m['n']})" if m else "–")
        if any(c != "–" for c in cells):
            table.add_row(metric, *cells)
    yardstick = figures.get("retrieval_yardstick")
    if yardstick:
        cell = f"{yardstick['recall_at_k']:.1%} ({yardstick['hits']:g}/{yardstick['n']})"
        table.add_row("recall_at_k of BM25Retriever (yardstick)", *[cell for _ in names])
    table.add_row(
        "public social: off-channel redirects",
        *[str(figures["composers"][n]["public_social"]["off_channel_redirects"]) for n in names],
    )
    table.add_row(
        "repeated openings",
        *[f"{figures['composers'][n]['boilerplate']['repeated_openings']:.1%}" for n in names],
    )
    table.add_row("latency p50 ms", *[f"{figures['composers'][n]['latency_ms']['p50']:.1f}" for n in names])
    return table


@dataclass(frozen=True)
class _Source:
    """Where a run's cases come from: the cases file, the KB of cases that name none, a label."""

    cases: Path
    kb: Path | None
    suite: str | None = None


@app.command()
def evaluate(
    ctx: typer.Context,
    cases: Annotated[
        Path | None,
        typer.Argument(
            metavar="CASES", help="A JSONL file of cases (see replyassist.eval.cases); or give --suite."
        ),
    ] = None,
    suite: Annotated[
        str | None,
        typer.Option(
            help="A public suite instead of CASES: tweets, abcd, banking77, bitext or giskard "
            "(built from --data into --cache)."
        ),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            help="The public data folder --suite reads (default: $REPLYASSIST_EVAL_DATA, else ../shared/data)."
        ),
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option(help="Where --suite builds its cases and KB (default: .replyassist/eval/SUITE)."),
    ] = None,
    kb: Annotated[
        Path | None,
        typer.Option(
            "--kb",
            envvar="REPLYASSIST_KB",
            help="The KB of cases that name none (folder or saved index); --suite: the suite's own.",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="The model for the model composer, the baseline and the judge, e.g. openai:gpt-4o-mini."
        ),
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option(
            help="Composers, comma-separated: offline, model, baseline (default: offline; all three with --model)."
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Where report.html and figures.json go (default: eval-report, eval-report/SUITE)."
        ),
    ] = None,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            help="metric=value or composer.metric=value (0.9 or 90%): exit 1 when the metric is below (repeatable)."
        ),
    ] = None,
    judge: Annotated[
        bool, typer.Option("--judge", help="Also score with a model judge (needs a model).")
    ] = False,
    brand: Annotated[
        str | None,
        typer.Option(
            envvar="REPLYASSIST_BRAND",
            help="The brand's name. Given on the command line, it replaces the cases' own (e.g. the tweets' "
            "real brands); from the environment, it only fills in cases that name none.",
        ),
    ] = None,
    agent: Annotated[
        str | None, typer.Option(envvar="REPLYASSIST_AGENT", help="The agent who signs (as --brand).")
    ] = None,
    handle: Annotated[
        list[str] | None, typer.Option(help="The brand's social handle (repeatable; as --brand).")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(min=1, help="Only N cases: the first N of CASES, or a seeded sample of the suite."),
    ] = None,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds a model may take per draft.")] = 30.0,
) -> None:
    """Draft every case with each composer, score the drafts and write an HTML report.

    The cases are a JSONL file, or with --suite a public suite built from the public data.
    """
    thresholds = [parse_threshold(spec) for spec in fail_under or []]
    names = [
        c.strip()
        for c in (compare or ("offline,model,baseline" if model else "offline")).split(",")
        if c.strip()
    ]
    unknown = [n for n in names if n not in COMPOSERS]
    if unknown or not names:
        raise typer.BadParameter(
            f"unknown composer(s) {unknown}; choose from {', '.join(COMPOSERS)}", param_hint="--compare"
        )
    _check_source(cases, suite)
    policy = {"brand": brand, "agent_name": agent, "brand_handles": tuple(handle or ())}
    given = {"brand": "brand", "agent_name": "agent", "brand_handles": "handle"}
    overrides = {field for field, param in given.items() if _on_command_line(ctx, param) and policy[field]}
    try:
        source = (
            _Source(cases, kb)
            if cases is not None
            # A suite has its own KB: only a --kb typed here replaces it, not $REPLYASSIST_KB.
            else _build(
                str(suite), _data_dir(data), cache, kb if _on_command_line(ctx, "kb") else None, limit
            )
        )
        missed = _evaluate(
            source,
            model,
            names,
            out_dir or (REPORT_DIR / source.suite if source.suite else REPORT_DIR),
            thresholds,
            judge,
            {k: v for k, v in policy.items() if v},
            overrides,
            None if source.suite else limit,
            timeout,
        )
    except ReplyAssistError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        raise typer.Exit(1) from None
    if missed:
        for line in missed:
            err.print(f"[bold red]below threshold:[/] {line}", highlight=False)
        raise typer.Exit(1)


def _check_source(cases: Path | None, suite: str | None) -> None:
    """Exactly one of CASES and ``--suite``, and a suite that exists."""
    from replyassist.eval.suites import SUITES

    if (cases is None) == (suite is None):
        raise typer.BadParameter(
            "give either a CASES file or --suite NAME (one of: " + ", ".join(SUITES) + ")",
            param_hint="CASES / --suite",
        )
    if suite is not None and suite not in SUITES:
        raise typer.BadParameter(
            f"unknown suite {suite!r}; the suites are: {', '.join(SUITES)}", param_hint="--suite"
        )


def _on_command_line(ctx: typer.Context, param: str) -> bool:
    """Whether ``param`` was typed on the command line (not taken from the environment or its default)."""
    # By name: Typer vendors its own click, whose ParameterSource is not click's.
    source = ctx.get_parameter_source(param)
    return source is not None and source.name == "COMMANDLINE"


def _data_dir(data: Path | None) -> Path:
    """The public data folder: ``--data`` when given (it must exist), else the default one."""
    from replyassist.eval.suites import default_data_dir

    if data is not None:
        if not data.is_dir():
            raise typer.BadParameter(
                f"no data folder at {data}: pass --data DIR, the folder holding twcs_sample/, abcd/, "
                "banking77/, bitext_customer_support/ and giskard_prompt_injections/",
                param_hint="--data",
            )
        return data
    try:
        return default_data_dir()
    except ConfigurationError as exc:
        raise typer.BadParameter(str(exc), param_hint="--data") from None


def _build(name: str, data: Path, cache: Path | None, kb: Path | None, limit: int | None) -> _Source:
    """Build suite ``name`` into its cache folder, refusing to empty a folder that holds anything else."""
    from replyassist.eval.suites import build_suite

    folder = cache if cache is not None else SUITE_CACHE / name
    if folder.exists() and (
        not folder.is_dir() or (any(folder.iterdir()) and not (folder / "suite.json").is_file())
    ):
        raise ConfigurationError(
            f"--cache {folder} is not empty and holds no built suite; building there would delete "
            "its files: give an empty or new folder"
        )
    cases_file, built_kb = build_suite(name, data, folder, limit=limit)
    return _Source(cases_file, kb or built_kb, suite=name)


def _evaluate(
    source: _Source,
    model: str | None,
    names: Sequence[str],
    out_dir: Path,
    thresholds: Sequence[Threshold],
    judge: bool,
    policy_fields: dict[str, Any],
    overrides: set[str],
    limit: int | None,
    timeout: float,
) -> list[str]:
    """Run the cases of ``source``; ``overrides``: policy fields that replace the cases' own."""
    from replyassist.eval.cases import load_cases
    from replyassist.eval.report import write_report
    from replyassist.eval.run import run_eval
    from replyassist.policy import Policy

    cases_path, kb_path = source.cases, source.kb
    cases = [
        c.model_copy(update={"policy": {k: v for k, v in c.policy.items() if k not in overrides}})
        for c in load_cases(cases_path)[:limit]
    ]
    kb = None
    if kb_path is not None:
        from replyassist.knowledge import KnowledgeBase

        kb = (
            KnowledgeBase.load(kb_path)
            if KnowledgeBase.is_saved(kb_path)
            else KnowledgeBase.from_directory(kb_path)
        )
    settings = _settings(model)
    runners, not_run, the_judge, judge_note = _runners(names, settings, timeout, judge)
    policy = Policy().merged(policy_fields)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "drafting", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as bar:
        task = bar.add_task("drafting", total=len(cases) * len(runners))
        run = run_eval(
            cases,
            runners,
            kb=kb,
            policy=policy,
            cases_file=cases_path,
            not_run=not_run,
            judge=the_judge,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    run.meta.update({"kb": str(kb_path) if kb_path else None, "model": settings.name if settings else None})
    if source.suite:
        run.meta["suite"] = _suite_meta(source)
    if judge_note:
        run.meta["judge"] = f"not run: {judge_note}"
    html_path, json_path = write_report(run, out_dir)
    figures = run.figures()
    out.print(_summary(figures, run.composers))
    for name, reason in not_run.items():
        out.print(f"[yellow]{name}: not run: {reason}[/]", highlight=False)
    if judge_note:
        out.print(f"[yellow]judge: not run: {judge_note}[/]", highlight=False)
    out.print(f"report: {html_path}\nfigures: {json_path}", highlight=False)
    return check_thresholds(figures, thresholds)


def _suite_meta(source: _Source) -> dict[str, Any]:
    """What the report says of a public suite: its name, data, license and what it measures."""
    import json

    info = json.loads((source.cases.parent / "suite.json").read_text(encoding="utf-8"))
    return {k: info.get(k) for k in ("name", "source", "license", "measures", "seed", "limit", "cases")}
