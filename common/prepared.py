"""Queries built and compiled once per process, then run again with new values.

A page shown on every visit runs a handful of small queries. Building each with the ORM and
compiling it to SQL costs about half a millisecond, several times what PostgreSQL takes to
answer it. A `Prepared` query keeps the ORM's definition (its filters, the named conditions
of the models) and pays that cost once: it builds the queryset with stand-in values, compiles
it, notes where each stand-in went among the SQL parameters, and from then on only runs the
SQL with the real values, turning the rows into values or model instances as the ORM would.

The queryset may not depend on the values beyond passing them to filters: a value the builder
computes with (adds a day to, puts in a list whose length varies) could not be found among the
parameters, and compiling says so at once.
"""

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators


class _Slot:
    """Where the value named `name` goes among the compiled query's parameters, and how the
    database takes it (SQLite takes dates as text; PostgreSQL takes them as they are)."""

    __slots__ = ("adapt", "name")

    def __init__(self, name: str, adapt: Callable[[Any], Any]) -> None:
        self.name, self.adapt = name, adapt


def _as_is(value: Any) -> Any:
    return value


def _adapters(connection: Any, kind: type) -> tuple[Callable[[Any], Any], ...]:
    """The forms a value of `kind` may take among a compiled query's parameters."""
    if kind is date:
        return _as_is, connection.ops.adapt_datefield_value
    return (_as_is,)


# Stand-ins no real value takes: ids far below zero, days in the first century.
def _stand_in(kind: type, number: int) -> Any:
    if kind is int:
        return -1_987_654_000 - number
    if kind is date:
        return date(1, 1, 1) + timedelta(days=number)
    raise TypeError(f"no stand-in for {kind.__name__}: use int or date")


class Prepared:
    """`build(**values)` → a queryset, compiled once per database connection's vendor.

    `kinds` names each value and its type (int or date):
    `Prepared(lambda holder_id: Entry.objects.filter(holder_id=holder_id), holder_id=int)`.
    """

    def __init__(self, build: Callable[..., QuerySet], *, using: str = "default",
                 **kinds: type) -> None:
        self._build = build
        self._kinds = kinds
        self._using = using
        self._compiled: dict[str, tuple] = {}

    def _compile(self, connection: Any) -> tuple:
        stand_ins = {name: _stand_in(kind, number)
                     for number, (name, kind) in enumerate(self._kinds.items(), start=1)}
        queryset = self._build(**stand_ins)
        compiler = queryset.query.get_compiler(using=self._using)
        sql, params = compiler.as_sql()
        slots = {}
        for name, value in stand_ins.items():
            for adapt in _adapters(connection, self._kinds[name]):
                form = adapt(value)
                slots[type(form), form] = _Slot(name, adapt)
        template = [slots.get((type(p), p), p) for p in params]
        missing = set(self._kinds) - {p.name for p in template if isinstance(p, _Slot)}
        if missing:
            raise ValueError(f"the query does not take {sorted(missing)} as a parameter: "
                             "pass it to a filter unchanged")
        # What turns the database's values into the fields' (found once, as the ORM finds them
        # on every run).
        fields = [column[0] for column in compiler.select[0:compiler.col_count]]
        compiled = self._compiled[connection.vendor] = (
            sql, template, compiler, issubclass(queryset._iterable_class, ModelIterable),
            fields, compiler.get_converters(fields), compiler.has_composite_fields(fields))
        return compiled

    def _run(self, values: dict[str, Any]) -> tuple[Any, Iterator]:
        if values.keys() != self._kinds.keys():
            raise TypeError(f"expected the values {sorted(self._kinds)}, got {sorted(values)}")
        connection = connections[self._using]
        compiled = self._compiled.get(connection.vendor) or self._compile(connection)
        sql, template, compiler, _models, fields, converters, composite = compiled
        params = [p.adapt(values[p.name]) if isinstance(p, _Slot) else p for p in template]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        if composite:
            rows = compiler.composite_fields_to_tuples(rows, fields)
        return compiled, map(tuple, rows) if converters or composite else rows

    def rows(self, **values: Any) -> list[tuple]:
        """The rows of a `values_list` queryset, converted as the ORM converts them."""
        _compiled, rows = self._run(values)
        return list(rows)

    def objects(self, **values: Any) -> list[Any]:
        """The model instances of a model queryset (with its `select_related`, `only` and
        annotations), made as the ORM makes them."""
        (_sql, _template, compiler, models, *_conversion), rows = self._run(values)
        if not models:
            raise TypeError("objects() reads a model queryset; use rows() for values_list")
        select, klass_info = compiler.select, compiler.klass_info
        model, fields = klass_info["model"], klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, self._using)
        annotations = compiler.annotation_col_map
        made = []
        for row in rows:
            instance = model.from_db(self._using, names, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in (annotations or {}).items():
                setattr(instance, name, row[position])
            made.append(instance)
        return made
