"""The war-room screen's layout (its part): which layout is shown and the panes it builds.

A layout is chosen by name, or compact when the terminal is too small for it, and chosen
again when the terminal is resized or the layout files change; the panes of the new one
are mounted before the change returns, so no key is lost to it.
"""

from rich.text import Text
from textual.containers import Container, Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Footer

from warroom.tui.layouts import Layout, Section, choose
from warroom.tui.widgets.checklist import ChecklistPane
from warroom.tui.widgets.cursor_view import CursorView
from warroom.tui.widgets.roles import RolesPane
from warroom.tui.widgets.runbook import RunbookPane
from warroom.tui.widgets.status_strip import StatusStrip
from warroom.tui.widgets.timeline import Timeline

PANE_TYPES: dict[str, type[CursorView]] = {
    "timeline": Timeline,
    "roles": RolesPane,
    "checklist": ChecklistPane,
    "runbook": RunbookPane,
}


class LayoutPanes:
    """The layout and its panes; mixed into ``WarRoomScreen``."""

    async def apply_layout(self, name: str | None, *, forced: bool | None = None) -> None:
        """Show a layout by name (falling back to the default) and rebuild the panes.

        The new panes are mounted before this returns, and the entry bar has the focus
        unless a line (``:``, a question) has it, so no key is lost to the change."""
        if forced is not None:
            self.layout_forced = forced
        if name is not None:
            self.chosen_layout = name
        size = self.app.size
        layout = choose(
            self.app.layouts,
            self.chosen_layout,
            forced=self.layout_forced,
            width=size.width,
            height=size.height,
        )
        if layout == self.current_layout:
            return
        self.current_layout = layout
        self.app.apply_theme(layout)
        body = self.query_one("#body", Container)
        await body.remove_children()
        body.styles.layout = "horizontal" if layout.split == "columns" else "vertical"
        await body.mount_all(self._section(section, layout) for section in layout.sections)
        self.query_one(StatusStrip).compact = layout.status == "compact"
        self.query_one(Footer).display = layout.footer
        self._show_state()
        focused = self.focused
        if focused is None or not focused.is_attached or isinstance(focused, CursorView):
            self.focus_home()  # a pane of the old layout had it; lines keep theirs

    async def reload_layout(self) -> None:
        """The layout files changed: show the chosen layout's new definition."""
        await self.apply_layout(None)

    def _section(self, section: Section, layout: Layout) -> Widget:
        columns = layout.split == "columns"
        panes = [self._pane(ref.pane, ref.size, columns) for ref in section.panes]
        if section.stack:
            for pane in panes:  # say how to reach the panes stacked behind this one
                others = [p for p in panes if p is not pane]
                hint = " · ".join(f"{p.digit} {p.title.lower()}" for p in others)
                pane.border_subtitle = Text(hint, style="dim")
            container: Widget = ContentSwitcher(*panes, initial=panes[0].id, classes="section")
        elif columns:
            container = Vertical(*panes, classes="section")
        else:
            container = Horizontal(*panes, classes="section")
        if columns:
            container.styles.width = section.size
        else:
            container.styles.height = section.size
        container.set_class("timeline" in (ref.pane for ref in section.panes), "-timeline")
        return container

    def _pane(self, name: str, size: str, columns: bool) -> Widget:
        if name == "timeline":
            pane: Widget = Timeline(self.timeline_data, id="pane-timeline", classes="pane")
        else:
            pane = PANE_TYPES[name](id=f"pane-{name}", classes="pane")
        if columns:
            pane.styles.height = size
        else:
            pane.styles.width = size
        return pane

    async def on_resize(self) -> None:
        if not self.layout_forced:
            await self.apply_layout(None)
