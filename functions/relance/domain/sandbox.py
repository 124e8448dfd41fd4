"""Jinja2's sandbox with a budget: what one rendering may cost in size, loop turns, depth and time.

The sandbox keeps templates away from Python internals, but not from exhausting the function that renders
them: ``'x' * 10**10``, nested ``range(100000)``, a macro calling itself or a ``replace`` that builds a
gigabyte would stop the check with a traceback and, at send time, run the e-mail function past its timeout
and into a retry storm. Here every way a template has of building something big goes through a hook that
checks the size *before* building it: the intercepted operators (``*``, ``**``, ``+``, ``%``), ``~`` and
``{% for %}`` (rewritten by :class:`_Instrument` into calls the sandbox sees), every call (methods, macros),
every filter, ``range``, each ``{{ … }}`` output and the final join. Time is a deadline checked at each of
those hooks: no thread and no signal, so it works the same in Lambda and in ``relance check``; a single
operation is bounded by the size limits, so it cannot run long between two checks.

Over budget, :class:`BudgetExceeded` (a ``TemplateRuntimeError``) says why in French, and its traceback
points at the template line (:func:`template_line`).
"""

from __future__ import annotations

import inspect
import math
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from string import Formatter
from types import TracebackType
from typing import Any

from jinja2 import Template, nodes
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError, TemplateError, TemplateRuntimeError, TemplateSyntaxError, UndefinedError
from jinja2.filters import make_attrgetter
from jinja2.runtime import Namespace, Undefined, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_context, pass_eval_context
from jinja2.visitor import NodeTransformer


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """What one rendering may cost. A reminder is a few kilobytes; these are a thousand times that."""

    max_chars: int = 1_000_000  # the message, and any one text a template builds
    max_work_chars: int = 20_000_000  # all the text built while rendering, kept or thrown away
    max_items: int = 100_000  # elements of one list a template builds
    max_loop_turns: int = 100_000  # turns of every loop of one rendering together
    max_range: int = 10_000
    max_depth: int = 30  # calls inside calls: a macro calling itself stops here
    max_digits: int = 1_000  # numbers a template computes
    max_seconds: float = 2.0


LIMITS = RenderLimits()


class BudgetExceeded(TemplateRuntimeError):
    """A template asked for more than a rendering may cost; ``reason`` says what, in French."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FilterMisuse(TemplateRuntimeError):
    """A filter given what it cannot work with (``truncate(-1)``); the message is French."""


_LOG10_2 = math.log10(2)  # digits per bit


def _n(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


class _Budget:
    """The running costs of one rendering."""

    def __init__(self, limits: RenderLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self.deadline = clock() + limits.max_seconds
        self.work = 0
        self.turns = 0
        self.depth = 0

    def tick(self) -> None:
        if self.clock() > self.deadline:
            raise BudgetExceeded(f"le modèle met plus de {self.limits.max_seconds:g} s à s’afficher : une boucle ou "
                                 "un calcul ne s’arrête pas")

    def chars(self, size: int, what: str = "le texte produit") -> None:
        if size > self.limits.max_chars:
            raise BudgetExceeded(f"{what} dépasserait {_n(self.limits.max_chars)} caractères (un message en fait "
                                 "quelques milliers)")

    def items(self, size: int) -> None:
        if size > self.limits.max_items:
            raise BudgetExceeded(f"une liste de plus de {_n(self.limits.max_items)} éléments")

    def digits(self, bits: int) -> None:
        if bits * _LOG10_2 > self.limits.max_digits:
            raise BudgetExceeded(f"un nombre de plus de {_n(self.limits.max_digits)} chiffres")

    def spend(self, size: int) -> None:
        self.work += size
        if self.work > self.limits.max_work_chars:
            raise BudgetExceeded(f"le modèle fabrique plus de {_n(self.limits.max_work_chars)} caractères de texte "
                                 "pour un seul message")

    def turn(self) -> None:
        self.turns += 1
        if self.turns > self.limits.max_loop_turns:
            raise BudgetExceeded(f"les boucles du modèle font plus de {_n(self.limits.max_loop_turns)} tours "
                                 "pour un seul message")
        self.tick()

    def built(self, value: Any) -> Any:
        """What a hook hands back to the template, checked."""
        if isinstance(value, str):
            self.chars(len(value))
            self.spend(len(value))
        elif isinstance(value, (list, tuple, dict, set, frozenset)):
            self.items(len(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            self.digits(value.bit_length())
        elif isinstance(value, Decimal) and value.is_finite() and value:
            self.digits(int(abs(value.adjusted()) / _LOG10_2))
        return value


_ACTIVE: ContextVar[_Budget | None] = ContextVar("relance_render_budget", default=None)


def _budget() -> _Budget:
    """The budget of the rendering under way; outside one (a template rendered some other way than through
    ``Template.render``), a fresh one, so that at least each operation stays bounded."""
    return _ACTIVE.get() or _Budget(LIMITS, time.monotonic)


def size_bound(value: Any, cap: int) -> int:
    """About how many characters ``str(value)`` would make, found without making it; stops past ``cap``."""
    stack = [value]
    total = 0
    while stack and total <= cap:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, (list, tuple, set, frozenset, Mapping)):
            pairs = isinstance(item, Mapping)
            total += 2
            for element in (item.items() if pairs else item):  # type: ignore[union-attr]
                total += 4 if pairs else 2
                for part in (element if pairs else (element,)):
                    if isinstance(part, str):
                        total += len(part)
                    elif isinstance(part, (float, Decimal)) or (isinstance(part, int) and part.bit_length() < 64):
                        total += 24
                    else:
                        stack.append(part)
                if total > cap:
                    break
        elif isinstance(item, Undefined):
            continue
        elif isinstance(item, Namespace):
            stack.append(dict(object.__getattribute__(item, "_Namespace__attrs")))
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3 + 2
        else:
            total += 64  # dates, amounts, the context's own objects: their text is short or bounded by the data
    return total


# -- formats -----------------------------------------------------------------------------------------
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[diouxXeEfFgGcrsa%]")


def _format_args(args: Any) -> list[Any]:
    if isinstance(args, Mapping):
        return list(args.values())
    if isinstance(args, tuple):
        return list(args)
    return [args]


def _percent_bound(budget: _Budget, fmt: str, args: Any) -> None:
    """``fmt % args`` without building it: widths, precisions and each argument once per conversion."""
    specs = _PERCENT_SPEC.findall(fmt)
    if any("*" in spec for spec in specs):
        raise BudgetExceeded("une largeur « * » dans un format % n’est pas permise dans un modèle")
    widest = max((size_bound(a, budget.limits.max_chars) for a in _format_args(args)), default=0)
    budget.chars(len(fmt) + sum(int(w or 0) + int(p or 0) for w, p in specs) + len(specs) * widest)


def _brace_bound(budget: _Budget, fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """``fmt.format(…)`` without building it."""
    fields = [spec for _, name, spec, _ in Formatter().parse(fmt) if name is not None]
    if any("{" in (spec or "") for spec in fields):
        raise BudgetExceeded("un format imbriqué ({…{…}}) n’est pas permis dans un modèle")
    widths = sum(int(n) for spec in fields for n in re.findall(r"\d+", spec or ""))
    widest = max((size_bound(a, budget.limits.max_chars) for a in (*args, *kwargs.values())), default=0)
    budget.chars(len(fmt) + widths + len(fields) * widest)


# -- filters -----------------------------------------------------------------------------------------
def _text(value: Any, budget: _Budget) -> str:
    budget.chars(size_bound(value, budget.limits.max_chars))
    return str(value)


def _width(value: Any, budget: _Budget, what: str) -> int:
    if isinstance(value, int) and value > budget.limits.max_chars:
        raise BudgetExceeded(f"{what} de {_n(value)} caractères : au plus {_n(budget.limits.max_chars)}")
    return value if isinstance(value, int) else 0


def _bounded_list(items: Iterable[Any], budget: _Budget) -> list[Any]:
    out: list[Any] = []
    for item in items:
        out.append(item)
        if len(out) > budget.limits.max_items:
            budget.items(len(out))
    return out


def _pre_center(budget: _Budget, a: dict[str, Any]) -> None:
    budget.chars(len(_text(a["value"], budget)) + _width(a["width"], budget, "une largeur"))


def _pre_indent(budget: _Budget, a: dict[str, Any]) -> None:
    text = _text(a["s"], budget)
    width = a["width"]
    per_line = len(width) if isinstance(width, str) else _width(width, budget, "un retrait")
    budget.chars(len(text) + (text.count("\n") + 1) * per_line)


def _replace_bound(budget: _Budget, text: str, old: Any, new: Any, count: Any) -> None:
    old, new = str(old), _text(new, budget)
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    budget.chars(len(text) + times * max(len(new) - len(old), 0))


def _pre_replace(budget: _Budget, a: dict[str, Any]) -> None:
    _replace_bound(budget, _text(a["s"], budget), a["old"], a["new"], a["count"])


def _pre_truncate(budget: _Budget, a: dict[str, Any]) -> None:
    end = str(a["end"])
    if not isinstance(a["length"], int) or a["length"] < len(end):
        raise FilterMisuse(f"truncate({a['length']!r}) : la longueur doit être un nombre au moins égal à "
                           f"celle de la fin « {end} » ({len(end)})")
    leeway = a["leeway"]
    if leeway is not None and (not isinstance(leeway, int) or leeway < 0):
        raise FilterMisuse(f"truncate : leeway={leeway!r} doit être un nombre positif")


_WORDWRAP_MAX_CHARS = 100_000  # textwrap cuts a long word in time quadratic in its length


def _pre_wordwrap(budget: _Budget, a: dict[str, Any]) -> None:
    text = _text(a["s"], budget)
    if len(text) > _WORDWRAP_MAX_CHARS:
        raise BudgetExceeded(f"wordwrap sur un texte de plus de {_n(_WORDWRAP_MAX_CHARS)} caractères")
    width = a["width"]
    if not isinstance(width, int) or width < 1:
        raise FilterMisuse(f"wordwrap({width!r}) : la largeur doit être un nombre d’au moins 1")
    wrap = str(a["wrapstring"] if a["wrapstring"] is not None else "\n")
    budget.chars(len(text) + (len(text) // width + text.count("\n") + 1) * len(wrap))


def _pre_format(budget: _Budget, a: dict[str, Any]) -> None:
    _percent_bound(budget, _text(a["value"], budget), a["kwargs"] or a["args"])


def _pre_count(name: str, key: str) -> Callable[[_Budget, dict[str, Any]], None]:
    def check(budget: _Budget, a: dict[str, Any]) -> None:
        value = a[key]
        if not isinstance(value, int) or value < 1:
            raise FilterMisuse(f"{name}({value!r}) : il faut un nombre d’au moins 1")
        budget.items(value)
    return check


def _pre_tojson(budget: _Budget, a: dict[str, Any]) -> None:
    indent = a["indent"]
    if indent is not None and not (isinstance(indent, int) and 0 <= indent <= 16):
        raise FilterMisuse(f"tojson(indent={indent!r}) : un retrait de 0 à 16")


def _pre_sum(budget: _Budget, a: dict[str, Any]) -> None:
    if not isinstance(a["start"], (int, Decimal, float)):
        raise FilterMisuse("sum additionne des nombres : pour assembler des textes, utilisez join")


def _pre_int(budget: _Budget, a: dict[str, Any]) -> None:
    """``int`` of a huge amount takes minutes (a million digits): refused before, like the numbers a template
    computes. Texts are Python's own business (it refuses over 4 300 digits)."""
    value = a["value"]
    if isinstance(value, Decimal) and value.is_finite() and value:
        budget.digits(int(abs(value.adjusted()) / _LOG10_2))


_PRECHECKS: dict[str, Callable[[_Budget, dict[str, Any]], None]] = {
    "center": _pre_center, "indent": _pre_indent, "replace": _pre_replace, "truncate": _pre_truncate,
    "wordwrap": _pre_wordwrap, "format": _pre_format, "batch": _pre_count("batch", "linecount"),
    "slice": _pre_count("slice", "slices"), "tojson": _pre_tojson, "sum": _pre_sum, "int": _pre_int,
}


# Filters that do not turn their input into text: its size does not matter to them.
_NOT_TEXT = frozenset({"length", "count", "first", "last", "list", "map", "select", "selectattr", "reject",
                       "rejectattr", "batch", "slice", "sort", "unique", "min", "max", "sum", "reverse", "random",
                       "groupby", "dictsort", "items", "default", "d", "attr", "abs", "round", "int", "float",
                       "filesizeformat", "join"})


def _join_filter(original: Callable[..., Any]) -> Callable[..., Any]:
    """``join``: the pieces counted before they are joined (the original then joins the checked list)."""

    @pass_eval_context
    def join(eval_ctx: Any, value: Any, d: str = "", attribute: str | int | None = None) -> Any:
        budget = _budget()
        items = _bounded_list(value, budget)
        pieces = list(map(make_attrgetter(eval_ctx.environment, attribute), items)) if attribute is not None else items
        cap = budget.limits.max_chars
        total = len(str(d)) * max(len(pieces) - 1, 0)
        for piece in pieces:
            total += size_bound(piece, cap)
            if total > cap:
                break
        budget.chars(total)
        return original(eval_ctx, pieces, d)

    return join


def _budgeted_filter(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """A filter checked before (its input, its known-dangerous arguments) and after (what it made)."""
    if name == "join":
        original = _join_filter(original)
    passes = getattr(getattr(original, "jinja_pass_arg", None), "name", None)
    precheck = _PRECHECKS.get(name)
    # Jinja2's async-aware filters wrap a plain function and add the context they do not pass on: bind the
    # arguments to the function that does the work.
    inner = inspect.unwrap(original)
    signature = inspect.signature(inner) if precheck else None
    inner_takes_first = getattr(inner, "jinja_pass_arg", None) is not None
    looks_at_text = name not in _NOT_TEXT

    # Always takes the context: a filter is then never run at compile time (constant folding), where no
    # budget would hold it.
    @pass_context
    def budgeted(context: Any, value: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.tick()
        first = {"context": (context,), "eval_context": (context.eval_ctx,),
                 "environment": (context.environment,)}.get(passes or "", ())
        if signature is not None and precheck is not None:
            try:
                bound = signature.bind(*(first if inner_takes_first else ()), value, *args, **kwargs)
            except TypeError:
                pass  # the filter itself will say what is wrong with its arguments
            else:
                bound.apply_defaults()
                precheck(budget, bound.arguments)
        if looks_at_text:
            budget.chars(size_bound(value, budget.limits.max_chars), "le texte passé au filtre")
        return budget.built(original(*first, value, *args, **kwargs))

    budgeted.__name__ = name
    return budgeted


# -- methods -----------------------------------------------------------------------------------------
_REFUSED_STR_METHODS = frozenset({"translate", "maketrans", "encode"})


def _check_str_method(budget: _Budget, method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    text: str = method.__self__
    name = method.__name__
    kwargs = {k: v for k, v in kwargs.items() if not k.startswith("_")}
    if name in _REFUSED_STR_METHODS:
        raise SecurityError(f"la méthode « {name} » n’est pas permise dans un modèle")
    if name in ("center", "ljust", "rjust", "zfill") and args:
        budget.chars(len(text) + _width(args[0], budget, "une largeur"))
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        budget.chars(len(text) + text.count("\t") * _width(size, budget, "une tabulation"))
    elif name == "replace" and len(args) >= 2:
        _replace_bound(budget, text, args[0], args[1], args[2] if len(args) > 2 else kwargs.get("count"))


# -- the template tree: loops and ~ through the sandbox ----------------------------------------------
class _Instrument(NodeTransformer):
    """Route ``{% for %}`` and ``~`` through environment methods, so that the sandbox sees them."""

    def __init__(self, environment: Any) -> None:
        self.environment = environment

    def _call(self, method: str, argument: nodes.Expr, lineno: int) -> nodes.Call:
        call = nodes.Call(nodes.EnvironmentAttribute(method), [argument], [], None, None)
        return call.set_lineno(lineno).set_environment(self.environment)  # type: ignore[return-value]

    def visit_For(self, node: nodes.For) -> nodes.Node:
        if node.recursive:
            raise TemplateSyntaxError("les boucles « recursive » ne sont pas permises dans un modèle", node.lineno)
        self.generic_visit(node)
        node.iter = self._call("budget_loop", node.iter, node.iter.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return self._call("budget_concat", nodes.Tuple(node.nodes, "load"), node.lineno)


class _BudgetedCodeGenerator(CodeGenerator):
    """Instruments the tree, and notes the names the template reads from its context (what
    ``jinja2.meta.find_undeclared_variables`` finds with a second, as costly, compilation)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.context_names: set[str] = set()

    def enter_frame(self, frame: Any) -> None:
        super().enter_frame(frame)
        for action, param in frame.symbols.loads.values():
            if action == "resolve" and param not in self.environment.globals:
                self.context_names.add(param)

    def visit_Template(self, node: nodes.Template, frame: Any = None) -> None:
        _Instrument(self.environment).visit(node)
        super().visit_Template(node, frame)
        node.context_names = frozenset(self.context_names)  # type: ignore[attr-defined]


def compile_template(env: BudgetedSandbox, source: str) -> tuple[Template, frozenset[str], nodes.Template]:
    """The compiled template, the names it reads from its context (one compilation for both), and its tree
    (instrumented: a loop's iterable is the first argument of a ``budget_loop`` call)."""
    tree = env.parse(source)
    template = env.from_string(tree)
    return template, tree.context_names, tree  # type: ignore[attr-defined]


def loop_iterable(node: nodes.For) -> nodes.Expr:
    """What an instrumented ``{% for %}`` iterates over, as the template wrote it."""
    iterable = node.iter
    if isinstance(iterable, nodes.Call) and isinstance(iterable.node, nodes.EnvironmentAttribute):
        return iterable.args[0]
    return iterable


class _BudgetedTemplate(Template):
    """``render`` runs under a fresh budget of its environment."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        env = self.environment
        token = _ACTIVE.set(_Budget(getattr(env, "limits", LIMITS), getattr(env, "clock", time.monotonic)))
        try:
            return super().render(*args, **kwargs)
        finally:
            _ACTIVE.reset(token)


def _bounded_concat(parts: Iterable[Any]) -> str:
    """Every join of template output (the message, a macro's or a ``{% set %}`` block's text), counted as it goes."""
    budget = _budget()
    cap = budget.limits.max_chars
    kept: list[str] = []
    total = 0
    for part in parts:
        total += len(part)
        if total > cap:
            budget.chars(total, "le message")
        kept.append(part)
    return "".join(kept)


@pass_eval_context
def _budget_concat(eval_ctx: Any, parts: tuple[Any, ...]) -> str:
    """``a ~ b``: sized before it is made."""
    budget = _budget()
    budget.chars(sum(size_bound(p, budget.limits.max_chars) for p in parts))
    return budget.built(markup_join(parts) if eval_ctx.autoescape else str_join(parts))


@pass_context
def _finalize(context: Any, value: Any) -> Any:
    """Each ``{{ … }}``: its text is sized before it is made (a list of a thousand long texts, say)."""
    budget = _budget()
    budget.tick()
    if not isinstance(value, str):
        budget.chars(size_bound(value, budget.limits.max_chars))
    return value


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox relance renders every template in. See the module's docstring."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BudgetedCodeGenerator
    template_class = _BudgetedTemplate
    concat = staticmethod(_bounded_concat)  # type: ignore[assignment]
    budget_concat = staticmethod(_budget_concat)

    def __init__(self, *, filters: Mapping[str, Callable[..., Any]] | None = None, limits: RenderLimits = LIMITS,
                 clock: Callable[[], float] = time.monotonic, **options: Any) -> None:
        # Not optimized: no constant folding, so nothing a template says is computed at compile time, out of the
        # budget's reach; and compiling is a quarter faster, which `relance check` feels (it compiles them all).
        super().__init__(finalize=_finalize, optimized=False, **options)
        self.limits = limits
        self.clock = clock
        self.globals.pop("lipsum", None)  # pages of lorem ipsum: no use in a reminder, and unbounded
        self.globals["range"] = self._range
        self.filters.update(filters or {})
        self.filters = {name: _budgeted_filter(name, f) for name, f in self.filters.items()}

    def compile(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        # A slice of a literal (``{{ 1[1:] }}``) is written as such in the generated Python, which warns on stderr
        # when compiling it; rendering then fails cleanly (TypeError) at the template's line.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            return super().compile(*args, **kwargs)

    def _range(self, *args: int) -> range:
        budget = _budget()
        budget.tick()
        numbers = range(*args)
        if len(numbers) > budget.limits.max_range:
            raise BudgetExceeded(f"range(…) de {_n(len(numbers))} nombres : au plus {_n(budget.limits.max_range)}")
        return numbers

    def budget_loop(self, iterable: Any) -> Iterator[Any]:
        budget = _budget()
        for item in iterable:
            budget.turn()
            yield item

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = _budget()
        budget.tick()
        sizes = (str, list, tuple)
        if operator == "*":
            seq, times = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(seq, sizes) and isinstance(times, int):
                (budget.chars if isinstance(seq, str) else budget.items)(len(seq) * max(times, 0))
            elif isinstance(left, int) and isinstance(right, int):
                budget.digits(left.bit_length() + right.bit_length())
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0:
            budget.digits(int(math.log2(abs(left)) * right) + 1)
        elif operator == "+" and isinstance(left, sizes) and isinstance(right, sizes):
            (budget.chars if isinstance(left, str) else budget.items)(len(left) + len(right))
        elif operator == "%" and isinstance(left, str):
            _percent_bound(budget, left, right)
        return budget.built(super().call_binop(context, operator, left, right))

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        budget = _budget()
        budget.tick()
        if isinstance(getattr(obj, "__self__", None), str):
            _check_str_method(budget, obj, args, kwargs)
            if obj.__name__ == "join" and args:
                items = _bounded_list(args[0], budget)
                budget.chars(sum(size_bound(i, budget.limits.max_chars) for i in items)
                             + len(obj.__self__) * max(len(items) - 1, 0))
                args = (items, *args[1:])
        budget.depth += 1
        try:
            if budget.depth > budget.limits.max_depth:
                raise BudgetExceeded(f"plus de {budget.limits.max_depth} appels imbriqués (une macro qui s’appelle "
                                     "elle-même ?)")
            return budget.built(super().call(context, obj, *args, **kwargs))
        finally:
            budget.depth -= 1

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt: str = value.__self__
        is_map = value.__name__ == "format_map"

        def bounded(*args: Any, **kwargs: Any) -> str:
            budget = _budget()
            mapping = args[0] if is_map and args and isinstance(args[0], Mapping) else kwargs
            _brace_bound(budget, fmt, () if is_map else args, mapping)
            return budget.built(wrapped(*args, **kwargs))

        return bounded


def template_line(err: BaseException, source: str) -> int:
    """The template line Jinja2 attributes to a runtime error (its rewritten traceback)."""
    tb: TracebackType | None = err.__traceback__ or sys.exc_info()[2]
    line = 1
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return min(max(line, 1), max(source.count("\n") + 1, 1))


# Everything rendering a template may raise on its own account: a template error, a misused filter or value,
# a budget overrun, Python's own limits. Never a transient failure: the same template fails the same way.
RENDER_FAILURES = (TemplateError, TypeError, ValueError, ArithmeticError, AttributeError, LookupError,
                   AssertionError, RuntimeError, MemoryError)  # RuntimeError: RecursionError, an empty cycler()


def describe_failure(err: BaseException) -> str:
    """What went wrong, in French, for a rule editor (``relance check``) or on the invoice's history."""
    if isinstance(err, BudgetExceeded):
        return err.reason
    if isinstance(err, FilterMisuse):
        return str(err)
    if isinstance(err, TemplateSyntaxError):
        return f"erreur de syntaxe dans le modèle : {err.message}"
    if isinstance(err, UndefinedError):
        return f"élément inconnu dans le modèle ({err.message})"
    if isinstance(err, SecurityError):
        return f"le modèle tente un accès interdit ({err}) : un modèle n’affiche que les variables prévues"
    if isinstance(err, RecursionError):
        return "le modèle est trop imbriqué (des appels ou des parenthèses les uns dans les autres, sans fin ?)"
    if isinstance(err, MemoryError):
        return "le modèle demande trop de mémoire"
    if isinstance(err, AssertionError):
        return "un filtre a reçu une valeur qu’il n’accepte pas" + (f" ({err})" if str(err) else "")
    if isinstance(err, ArithmeticError):
        return f"calcul impossible : nombre trop grand, division par zéro ou opération invalide ({type(err).__name__})"
    return f"le modèle ne peut pas être rempli : {err}"
