"""The bulletin as a file: CSV (UTF-8 with a BOM, so Excel reads the Chinese right), XLSX, and an SVG bar chart
a district office can paste into its own bulletin. Pure functions of a ``BulletinRead``; no database.

The chart is hand-written SVG: text stays text (searchable, sharp at any size) and names a list of CJK fonts,
so Chinese renders with whichever of them the reader's machine has. PNG would need a CJK font on the server.
"""

from __future__ import annotations

import csv
import io
from xml.sax.saxutils import escape, quoteattr

from openpyxl import Workbook
from openpyxl.styles import Font

from app.reports.errors import NotAcceptable
from app.reports.schemas import BulletinFormat, BulletinRead

MEDIA_TYPES = {
    BulletinFormat.json: "application/json",
    BulletinFormat.csv: "text/csv; charset=utf-8",
    BulletinFormat.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    BulletinFormat.svg: "image/svg+xml; charset=utf-8",
    BulletinFormat.png: "image/png",
}
_BY_MEDIA = {
    "application/json": BulletinFormat.json,
    "text/csv": BulletinFormat.csv,
    MEDIA_TYPES[BulletinFormat.xlsx]: BulletinFormat.xlsx,
    "image/svg+xml": BulletinFormat.svg,
    "image/png": BulletinFormat.png,
    "*/*": BulletinFormat.json,
    "application/*": BulletinFormat.json,
    "text/*": BulletinFormat.csv,
    "image/*": BulletinFormat.svg,
}
CJK_FONTS = (
    "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', "
    "'SimHei', 'WenQuanYi Micro Hei', sans-serif"
)
KIND_ZH = {"district": "区", "subdistrict": "街道", "community": "社区", "compound": "小区", "building": "楼栋",
           "street": "街巷", "area": "区域"}
NO_PNG = ("PNG is not rendered on this server (it has no CJK font): ask for image/svg+xml (format=svg), which "
          "browsers and office software show with the reader's own Chinese fonts")


def choose(format_: BulletinFormat | None, accept: str | None) -> BulletinFormat:
    """``format`` wins; else the first type the ``Accept`` header prefers that can be made; no header: JSON."""
    if format_ is not None:
        chosen = format_
    elif not accept or not accept.strip():
        chosen = BulletinFormat.json
    else:
        offers: list[tuple[float, int, str]] = []
        for position, part in enumerate(accept.split(",")):
            media, *params = [p.strip() for p in part.split(";")]
            quality = 1.0
            for param in params:
                if param.startswith("q="):
                    try:
                        quality = float(param[2:])
                    except ValueError:
                        quality = 0.0
            if quality > 0:
                offers.append((-quality, position, media.lower()))
        found = [_BY_MEDIA[media] for _, _, media in sorted(offers) if media in _BY_MEDIA]
        if not found:
            raise NotAcceptable(
                "The bulletin comes as application/json, text/csv, "
                f"{MEDIA_TYPES[BulletinFormat.xlsx]} or image/svg+xml (or say format=json|csv|xlsx|svg)"
            )
        chosen = found[0]
    if chosen == BulletinFormat.png:
        raise NotAcceptable(NO_PNG)
    return chosen


def filename(bulletin: BulletinRead, format_: BulletinFormat) -> str:
    areas = "-".join(str(a.id) for a in bulletin.scope[:5])
    return f"bulletin-{bulletin.month}-area-{areas}.{format_.value}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _scope_name(bulletin: BulletinRead) -> str:
    return "、".join(a.name for a in bulletin.scope)


def render_csv(bulletin: BulletinRead) -> bytes:
    """Sections one after another, each with its own header row; UTF-8 with a BOM for Excel."""
    out = io.StringIO()
    w = csv.writer(out)
    kind = KIND_ZH.get(bulletin.ranked_kind, "区域")
    w.writerow(["月度简报 Monthly bulletin", bulletin.month, _scope_name(bulletin)])
    w.writerow(["上月 Previous month", bulletin.previous_month])
    t = bulletin.total
    w.writerow(["诉求总量 Requests", t.requests, "上月 Previous", t.previous_requests, "变化 Change", t.change,
                "变化率 Change rate", _percent(t.change_rate)])
    r = bulletin.rates
    w.writerow(["三率 Rates", "响应率 Response", _percent(r.response_rate), "解决率 Resolution",
                _percent(r.resolution_rate), "满意率 Satisfaction", _percent(r.satisfaction_rate)])
    w.writerow([])
    w.writerow(["前三类诉求 Top categories"])
    w.writerow(["排名 Rank", "类别 Category", "代码 Code", "本月 Requests", "上月 Previous", "变化 Change",
                "变化率 Change rate"])
    for c in bulletin.top_categories:
        w.writerow([c.rank, c.category.name_zh, c.category.code, c.requests, c.previous_requests, c.change,
                    _percent(c.change_rate)])
    w.writerow([])
    w.writerow([f"诉求量前十{kind} Top {bulletin.ranked_kind} areas"])
    w.writerow(["排名 Rank", f"{kind} Area", "ID", "本月 Requests", "上月 Previous", "变化 Change",
                "变化率 Change rate"])
    for a in bulletin.top_areas:
        w.writerow([a.rank, a.area.name, a.area.id, a.requests, a.previous_requests, a.change,
                    _percent(a.change_rate)])
    w.writerow([])
    w.writerow(["社区三率 Community rates"])
    w.writerow(["社区 Community", "ID", "所属街道 Subdistrict", "诉求量 Requests", "响应率 Response rate",
                "解决率 Resolution rate", "满意率 Satisfaction rate"])
    for m in bulletin.communities:
        w.writerow([m.area.name, m.area.id, m.parent.name if m.parent else "", m.requests,
                    _percent(m.response_rate), _percent(m.resolution_rate), _percent(m.satisfaction_rate)])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def render_xlsx(bulletin: BulletinRead) -> bytes:
    """Four sheets: summary, top categories, top areas, community rates. Rates are numbers shown as percent."""
    book = Workbook()
    bold = Font(bold=True)
    kind = KIND_ZH.get(bulletin.ranked_kind, "区域")

    def sheet(title: str, header: list[str], rows: list[list[object]], percent_columns: tuple[int, ...]) -> None:
        ws = book.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append(row)
        for column in percent_columns:
            for (cell,) in ws.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = "0.0%"
        for n, width in enumerate((16, 24, 14, 14, 14, 14, 14), start=1):
            ws.column_dimensions[chr(64 + n)].width = width

    summary = book.active
    assert summary is not None
    summary.title = "简报 Summary"
    t, r = bulletin.total, bulletin.rates
    for row in (
        ["月度简报 Monthly bulletin", bulletin.month],
        ["范围 Scope", _scope_name(bulletin)],
        ["上月 Previous month", bulletin.previous_month],
        ["诉求总量 Requests", t.requests],
        ["上月 Previous", t.previous_requests],
        ["变化 Change", t.change],
        ["变化率 Change rate", t.change_rate],
        ["响应率 Response rate", r.response_rate],
        ["解决率 Resolution rate", r.resolution_rate],
        ["满意率 Satisfaction rate", r.satisfaction_rate],
        ["数据截至 As of", bulletin.as_of.isoformat()],
    ):
        summary.append(row)
    for row_number in (7, 8, 9, 10):
        summary.cell(row=row_number, column=2).number_format = "0.0%"
    summary.column_dimensions["A"].width = 26
    summary.column_dimensions["B"].width = 30
    sheet("前三类 Categories",
          ["排名 Rank", "类别 Category", "代码 Code", "本月 Requests", "上月 Previous", "变化 Change",
           "变化率 Change rate"],
          [[c.rank, c.category.name_zh, c.category.code, c.requests, c.previous_requests, c.change, c.change_rate]
           for c in bulletin.top_categories], (7,))
    sheet(f"前十{kind} Areas",
          ["排名 Rank", f"{kind} Area", "ID", "本月 Requests", "上月 Previous", "变化 Change",
           "变化率 Change rate"],
          [[a.rank, a.area.name, a.area.id, a.requests, a.previous_requests, a.change, a.change_rate]
           for a in bulletin.top_areas], (7,))
    sheet("社区三率 Communities",
          ["社区 Community", "所属街道 Subdistrict", "ID", "诉求量 Requests", "响应率 Response rate",
           "解决率 Resolution rate", "满意率 Satisfaction rate"],
          [[m.area.name, m.parent.name if m.parent else "", m.area.id, m.requests, m.response_rate,
            m.resolution_rate, m.satisfaction_rate] for m in bulletin.communities], (5, 6, 7))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# The chart ------------------------------------------------------------------------------------------------

_WIDTH = 960
_LABEL_RIGHT = 230
_BAR_LEFT = 240
_BAR_MAX = 560
_ROW = 34
_CURRENT = "#c0392b"
_PREVIOUS = "#b0b7c3"


def _change_text(change_rate: float | None) -> str:
    if change_rate is None:
        return "新增"
    return f"{'+' if change_rate >= 0 else ''}{change_rate * 100:.1f}%"


def _panel(
    title: str, rows: list[tuple[str, int, int, float | None, str]], top: int, kind: str
) -> tuple[list[str], int]:
    """Horizontal bars: this month (full bar) over last month (thin bar); returns the elements and the height."""
    parts = [f'<text class="panel-title" x="20" y="{top + 22}" font-size="18" font-weight="bold">'
             f"{escape(title)}</text>"]
    y = top + 44
    scale = max([max(now, before) for _, now, before, _, _ in rows] + [1])
    for n, (label, now, before, change_rate, ident) in enumerate(rows, start=1):
        width_now = round(_BAR_MAX * now / scale, 1)
        width_before = round(_BAR_MAX * before / scale, 1)
        parts.append(
            f'<text class="label" x="{_LABEL_RIGHT}" y="{y + 15}" text-anchor="end" font-size="14">'
            f"{n}. {escape(label)}</text>"
        )
        parts.append(
            f'<rect class="bar current" data-kind={quoteattr(kind)} data-id={quoteattr(ident)} '
            f'data-rank="{n}" data-requests="{now}" x="{_BAR_LEFT}" y="{y}" width="{width_now}" height="16" '
            f'fill="{_CURRENT}"><title>{escape(label)}: {now}</title></rect>'
        )
        parts.append(
            f'<rect class="bar previous" data-kind={quoteattr(kind)} data-id={quoteattr(ident)} '
            f'data-requests="{before}" x="{_BAR_LEFT}" y="{y + 18}" width="{width_before}" height="6" '
            f'fill="{_PREVIOUS}"/>'
        )
        parts.append(
            f'<text class="value" x="{_BAR_LEFT + max(width_now, width_before) + 8}" y="{y + 15}" font-size="13">'
            f"{now}（{escape(_change_text(change_rate))}）</text>"
        )
        y += _ROW
    if not rows:
        parts.append(f'<text x="{_BAR_LEFT}" y="{y + 12}" font-size="14" fill="#666">本月无诉求</text>')
        y += _ROW
    return parts, y - top


def render_svg(bulletin: BulletinRead) -> bytes:
    """The top areas and the top categories as bar charts, this month against the month before."""
    kind = KIND_ZH.get(bulletin.ranked_kind, "区域")
    scope = _scope_name(bulletin)
    year, month = bulletin.month.split("-")
    title = f"{scope} {year}年{int(month)}月诉求月报"
    body: list[str] = []
    top = 70
    areas, height = _panel(
        f"诉求量前十{kind}",
        [(a.area.name, a.requests, a.previous_requests, a.change_rate, str(a.area.id)) for a in bulletin.top_areas],
        top, "area",
    )
    body += areas
    top += height + 20
    categories, height = _panel(
        "诉求量前三类别",
        [(c.category.name_zh, c.requests, c.previous_requests, c.change_rate, c.category.code)
         for c in bulletin.top_categories],
        top, "category",
    )
    body += categories
    top += height + 10
    r, t = bulletin.rates, bulletin.total
    footer = (f"合计 {t.requests} 件（上月 {t.previous_requests} 件，{_change_text(t.change_rate)}）  "
              f"响应率 {_percent(r.response_rate) or '—'}  解决率 {_percent(r.resolution_rate) or '—'}  "
              f"满意率 {_percent(r.satisfaction_rate) or '—'}")
    body.append(f'<text class="totals" x="20" y="{top + 16}" font-size="14">{escape(footer)}</text>')
    total_height = top + 40
    legend = (
        f'<rect x="{_WIDTH - 250}" y="22" width="14" height="14" fill="{_CURRENT}"/>'
        f'<text x="{_WIDTH - 230}" y="34" font-size="13">本月 {escape(bulletin.month)}</text>'
        f'<rect x="{_WIDTH - 130}" y="28" width="14" height="6" fill="{_PREVIOUS}"/>'
        f'<text x="{_WIDTH - 110}" y="34" font-size="13">上月 {escape(bulletin.previous_month)}</text>'
    )
    svg = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{total_height}" '
        f'viewBox="0 0 {_WIDTH} {total_height}" font-family="{escape(CJK_FONTS, {chr(34): "&quot;"})}" '
        f'lang="zh-CN">'
        f"<title>{escape(title)}</title>"
        f'<rect width="100%" height="100%" fill="#ffffff"/>'
        f'<text class="title" x="20" y="36" font-size="22" font-weight="bold">{escape(title)}</text>'
        f"{legend}{''.join(body)}"
        f'<text x="20" y="{total_height - 8}" font-size="11" fill="#888">数据截至 '
        f"{escape(bulletin.as_of.isoformat(timespec='seconds'))} · Doorstep</text>"
        "</svg>\n"
    )
    return svg.encode("utf-8")


def render(bulletin: BulletinRead, format_: BulletinFormat) -> bytes:
    if format_ == BulletinFormat.csv:
        return render_csv(bulletin)
    if format_ == BulletinFormat.xlsx:
        return render_xlsx(bulletin)
    if format_ == BulletinFormat.svg:
        return render_svg(bulletin)
    raise NotAcceptable(NO_PNG)
