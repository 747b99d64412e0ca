#!/usr/bin/python3
"""Writes the orgpulse Grafana dashboards (deploy/grafana/dashboards/*.json).

The JSON files are what Grafana loads (deploy/grafana/provisioning); this
script is where they are edited: one place for the layout, the units and the
queries, so the four dashboards stay consistent. Run it after a change:

  /usr/bin/python3 deploy/grafana/generate_dashboards.py

CTest (deploy_files_test) fails when the JSON files differ from its output,
and the live test (grafana_dashboards_live_test) evaluates every query of
every panel against a real Prometheus scraping the real services.

Standard library only. Grafana 10 dashboard model (schemaVersion 38).
"""

import json
import os
import sys

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dashboards")

DS = {"type": "prometheus", "uid": "${datasource}"}
TAGS = ["orgpulse"]

# The jobs of prometheus.yml; the service-health panels select on them.
JOBS = 'job=~"orgpulse-ingest|orgpulse-insights"'

# Team selectors. `$team` is a multi-value variable whose "All" is `.*`.
T = 'team=~"$team"'

# ------------------------------------------------------------------ helpers


def target(expr, legend="", instant=False, table=False, ref=None):
    t = {
        "datasource": DS,
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
    }
    if table:
        t["format"] = "table"
    if ref:
        t["refId"] = ref
    return t


def thresholds(*steps):
    """steps: (color, value) pairs, the first value None (the base)."""
    return {"mode": "absolute",
            "steps": [{"color": c, "value": v} for c, v in steps]}


RED_AMBER_GREEN_RATIO = thresholds(("red", None), ("orange", 0.8), ("green", 0.9))
RED_AMBER_GREEN_INDEX = thresholds(("red", None), ("orange", 0.9), ("green", 0.95))
RED_AMBER_GREEN_SCORE = thresholds(("red", None), ("orange", 60), ("green", 75))
GREEN_AMBER_RED_RISK = thresholds(("green", None), ("orange", 0.4), ("red", 0.6))
NEUTRAL = thresholds(("blue", None))

QUADRANT_MAPPINGS = [{
    "type": "value",
    "options": {
        "0": {"text": "insufficient data", "color": "text", "index": 0},
        "1": {"text": "thriving", "color": "green", "index": 1},
        "2": {"text": "burnout risk", "color": "orange", "index": 2},
        "3": {"text": "execution gap", "color": "yellow", "index": 3},
        "4": {"text": "at risk", "color": "red", "index": 4},
    },
}]


def field_config(unit=None, thresholds_=None, min_=None, max_=None,
                 decimals=None, mappings=None, custom=None, color=None,
                 overrides=None):
    d = {
        "color": color or {"mode": "thresholds" if thresholds_ else "palette-classic"},
        "mappings": mappings or [],
        "thresholds": thresholds_ or NEUTRAL,
    }
    if unit:
        d["unit"] = unit
    if min_ is not None:
        d["min"] = min_
    if max_ is not None:
        d["max"] = max_
    if decimals is not None:
        d["decimals"] = decimals
    if custom:
        d["custom"] = custom
    return {"defaults": d, "overrides": overrides or []}


REDUCE_LAST = {"calcs": ["lastNotNull"], "fields": "", "values": False}


class Dashboard:
    def __init__(self, uid, title, description, variables):
        self.uid = uid
        self.title = title
        self.description = description
        self.variables = variables
        self.panels = []
        self.next_id = 1
        self.x = 0
        self.y = 0
        self.row_h = 0

    def _place(self, w, h):
        if self.x + w > 24:
            self.x = 0
            self.y += self.row_h
            self.row_h = 0
        pos = {"h": h, "w": w, "x": self.x, "y": self.y}
        self.x += w
        self.row_h = max(self.row_h, h)
        return pos

    def row(self, title):
        if self.x:
            self.y += self.row_h
        self.x, self.row_h = 0, 0
        self.panels.append({
            "collapsed": False, "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
            "id": self._id(), "panels": [], "title": title, "type": "row",
        })
        self.y += 1

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def panel(self, kind, title, targets, w=12, h=8, description="",
              fieldConfig=None, options=None, transformations=None):
        refs = "ABCDEFGHIJKLMNOP"
        for i, t in enumerate(targets):
            t.setdefault("refId", refs[i])
        p = {
            "datasource": DS,
            "description": description,
            "fieldConfig": fieldConfig or field_config(),
            "gridPos": self._place(w, h),
            "id": self._id(),
            "options": options or {},
            "targets": targets,
            "title": title,
            "type": kind,
        }
        if transformations:
            p["transformations"] = transformations
        self.panels.append(p)
        return p

    def text(self, title, content, w=24, h=3):
        self.panels.append({
            "gridPos": self._place(w, h), "id": self._id(),
            "options": {"mode": "markdown", "content": content,
                        "code": {"language": "plaintext", "showLineNumbers": False,
                                 "showMiniMap": False}},
            "title": title, "type": "text",
        })

    # Panel kinds --------------------------------------------------------

    def timeseries(self, title, targets, unit=None, thresholds_=None,
                   min_=None, max_=None, w=12, h=8, description="",
                   stack=False, step=False, threshold_line=False):
        custom = {
            "drawStyle": "line", "lineInterpolation": "stepAfter" if step else "linear",
            "lineWidth": 1, "fillOpacity": 10 if stack else 0, "showPoints": "never",
            "spanNulls": False, "axisPlacement": "auto",
            "stacking": {"mode": "normal" if stack else "none", "group": "A"},
            "thresholdsStyle": {"mode": "line+area" if threshold_line else "off"},
        }
        return self.panel(
            "timeseries", title, targets, w, h, description,
            field_config(unit, thresholds_, min_, max_, custom=custom,
                         color={"mode": "palette-classic"}),
            {"legend": {"displayMode": "table", "placement": "right", "showLegend": True,
                        "calcs": ["lastNotNull"]},
             "tooltip": {"mode": "multi", "sort": "desc"}})

    def stat(self, title, targets, unit=None, thresholds_=None, w=4, h=4,
             description="", decimals=None, mappings=None, graph=True):
        return self.panel(
            "stat", title, targets, w, h, description,
            field_config(unit, thresholds_, decimals=decimals, mappings=mappings),
            {"reduceOptions": REDUCE_LAST, "colorMode": "value",
             "graphMode": "area" if graph else "none", "justifyMode": "auto",
             "orientation": "auto", "textMode": "auto"})

    def bargauge(self, title, targets, unit=None, thresholds_=None, min_=None,
                 max_=None, w=12, h=8, description=""):
        return self.panel(
            "bargauge", title, targets, w, h, description,
            field_config(unit, thresholds_, min_, max_),
            {"reduceOptions": REDUCE_LAST, "displayMode": "gradient",
             "orientation": "horizontal", "showUnfilled": True, "valueMode": "color",
             "minVizHeight": 10, "minVizWidth": 0})

    def table(self, title, targets, columns, by=None, w=24, h=8, description="",
              overrides=None, unit=None, thresholds_=None, extra_transformations=None,
              sort_by=None):
        """Instant table queries merged into rows on their labels. columns:
        refId -> column title. by: the labels that make a row (each query
        becomes `max by (<by>) (...)`, so that all frames have the same label
        columns and replicas collapse into one row)."""
        for t in targets:
            if by:
                t["expr"] = f"max by ({by}) ({t['expr']})"
            t["instant"] = True
            t["range"] = False
            t["format"] = "table"
        rename = {}
        if len(targets) == 1:
            rename["Value"] = columns[targets[0].get("refId", "A")]
        else:
            for ref, name in columns.items():
                rename["Value #" + ref] = name
        transformations = [{"id": "merge", "options": {}}] if len(targets) > 1 else []
        transformations.append({"id": "organize", "options": {
            "excludeByName": {"Time": True, "job": True, "instance": True,
                              "__name__": True},
            "renameByName": rename, "indexByName": {}}})
        transformations += extra_transformations or []
        options = {"showHeader": True, "cellHeight": "sm",
                   "footer": {"show": False, "reducer": ["sum"], "fields": ""}}
        if sort_by:
            options["sortBy"] = [{"displayName": sort_by, "desc": True}]
        return self.panel(
            "table", title, targets, w, h, description,
            field_config(unit, thresholds_, overrides=overrides,
                         custom={"align": "auto", "cellOptions": {"type": "auto"},
                                 "inspect": False}),
            options, transformations)

    def to_json(self):
        return {
            "annotations": {"list": [{
                "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                "name": "Annotations & Alerts", "type": "dashboard"}]},
            "description": self.description,
            "editable": True,
            "fiscalYearStartMonth": 0,
            "graphTooltip": 1,
            "id": None,
            "links": [{"asDropdown": False, "icon": "external link", "includeVars": False,
                       "keepTime": True, "tags": TAGS, "targetBlank": False,
                       "title": "orgpulse", "type": "dashboards"}],
            "liveNow": False,
            "panels": self.panels,
            "refresh": "1m",
            "schemaVersion": 38,
            "tags": TAGS,
            "templating": {"list": self.variables},
            "time": {"from": "now-7d", "to": "now"},
            "timepicker": {},
            "timezone": "",
            "title": self.title,
            "uid": self.uid,
            "version": 1,
            "weekStart": "",
        }


def datasource_variable():
    return {"current": {}, "hide": 0, "includeAll": False, "label": "Data source",
            "multi": False, "name": "datasource", "options": [], "query": "prometheus",
            "refresh": 1, "regex": "", "skipUrlSync": False, "type": "datasource"}


def query_variable(name, label, query, regex="", multi=True, include_all=True):
    return {
        "allValue": ".*" if include_all else None,
        "current": {}, "datasource": DS, "definition": query, "hide": 0,
        "includeAll": include_all, "label": label, "multi": multi, "name": name,
        "options": [],
        "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "refresh": 2, "regex": regex, "skipUrlSync": False, "sort": 1, "type": "query",
    }


def team_variables(metric):
    """Department (the first path segment) and team, chained: teams are
    `dept/team` paths, and `eng` rolls up `eng` and `eng/*`."""
    return [
        datasource_variable(),
        query_variable("department", "Department", f"label_values({metric}, team)",
                       regex="/^([^/]+)/", multi=False),
        query_variable("team", "Team",
                       f'label_values({metric}{{team=~"$department(/.*)?"}}, team)'),
    ]


# ------------------------------------------------------------ the dashboards


def manager_view():
    d = Dashboard(
        "orgpulse-manager", "orgpulse / Manager view",
        "On budget? On time? Procedures followed? Monthly numbers hit? "
        "From orgpulse-ingest's figures, per team.",
        team_variables("orgpulse_team_events"))

    d.row("Tasks")
    d.stat("Open tasks", [target(f"sum(orgpulse_tasks_open{{{T}}})", "open")],
           description="Tasks created and not completed or cancelled, in the selected teams.")
    d.stat("Overdue tasks", [target(f"sum(orgpulse_tasks_overdue{{{T}}})", "overdue")],
           thresholds_=thresholds(("green", None), ("orange", 1), ("red", 10)),
           description="Open tasks past their due date.")
    d.stat("Completed on time",
           [target(f'sum(orgpulse_tasks_completed{{{T},timeliness="on_time"}}) / '
                   f'sum(orgpulse_tasks_completed{{{T}}})', "on time")],
           unit="percentunit", thresholds_=RED_AMBER_GREEN_RATIO,
           description="Tasks with a due date completed by it, over all completed with a due date.")
    d.stat("Weekly throughput",
           [target(f"sum(orgpulse_tasks_weekly_throughput{{{T}}})", "per week")],
           decimals=1, description="Completions in the last 28 days / 4.")
    d.stat("Cancelled tasks", [target(f"sum(orgpulse_tasks_cancelled{{{T}}})", "cancelled")])
    d.stat("Overdue share of open",
           [target(f"sum(orgpulse_tasks_overdue{{{T}}}) / sum(orgpulse_tasks_open{{{T}}})",
                   "overdue / open")],
           unit="percentunit",
           thresholds_=thresholds(("green", None), ("orange", 0.1), ("red", 0.25)))
    d.timeseries("Overdue tasks per team",
                 [target(f"orgpulse_tasks_overdue{{{T}}}", "{{team}}")],
                 min_=0, step=True)
    d.timeseries("On-time ratio per team",
                 [target(f"orgpulse_tasks_on_time_ratio{{{T}}}", "{{team}}")],
                 unit="percentunit", min_=0, max_=1, thresholds_=RED_AMBER_GREEN_RATIO,
                 threshold_line=True)
    d.timeseries("Cycle time, median and 90th percentile",
                 [target(f"orgpulse_task_cycle_time_seconds{{{T}}}",
                         "{{team}} p{{quantile}}")],
                 unit="s", min_=0,
                 description="From start (or creation) to completion.")
    d.timeseries("Completed tasks by timeliness",
                 [target(f"sum by (timeliness) (orgpulse_tasks_completed{{{T}}})",
                         "{{timeliness}}")],
                 min_=0, stack=True)

    d.row("Budget (earned value)")
    d.table("Projects",
            [target(f"orgpulse_project_cost_performance_index{{{T}}}", ref="A"),
             target(f"orgpulse_project_schedule_performance_index{{{T}}}", ref="B"),
             target(f"orgpulse_project_budget_at_completion{{{T}}}", ref="C"),
             target(f"orgpulse_project_estimate_at_completion{{{T}}}", ref="D"),
             target(f"orgpulse_project_variance_at_completion{{{T}}}", ref="E"),
             target(f"orgpulse_project_actual_cost{{{T}}}", ref="F"),
             target(f"orgpulse_project_completion_ratio{{{T}}}", ref="G")],
            {"A": "CPI", "B": "SPI", "C": "Budget (BAC)", "D": "Estimate (EAC)",
             "E": "Variance (VAC)", "F": "Actual cost", "G": "Complete"},
            by="team, project", h=8,
            description="Per project, in the project's currency. CPI = EV / AC, "
                        "SPI = EV / PV, EAC = BAC / CPI, VAC = BAC - EAC.",
            overrides=[
                {"matcher": {"id": "byRegexp", "options": "CPI|SPI"},
                 "properties": [{"id": "decimals", "value": 2},
                                {"id": "thresholds", "value": RED_AMBER_GREEN_INDEX},
                                {"id": "custom.cellOptions",
                                 "value": {"type": "color-background"}}]},
                {"matcher": {"id": "byName", "options": "Complete"},
                 "properties": [{"id": "unit", "value": "percentunit"}]},
                {"matcher": {"id": "byRegexp",
                             "options": "Budget.*|Estimate.*|Variance.*|Actual cost"},
                 "properties": [{"id": "unit", "value": "short"},
                                {"id": "decimals", "value": 0}]}])
    d.timeseries("Cost performance index (CPI)",
                 [target(f"orgpulse_project_cost_performance_index{{{T}}}",
                         "{{team}} {{project}}")],
                 thresholds_=RED_AMBER_GREEN_INDEX, threshold_line=True,
                 description="Below 1: the work done cost more than budgeted. "
                             "The OrgpulseProjectOverBudget alert fires below 0.9.")
    d.timeseries("Schedule performance index (SPI)",
                 [target(f"orgpulse_project_schedule_performance_index{{{T}}}",
                         "{{team}} {{project}}")],
                 thresholds_=RED_AMBER_GREEN_INDEX, threshold_line=True,
                 description="Below 1: less work done than planned by now.")
    d.timeseries("Estimate at completion against budget",
                 [target(f"orgpulse_project_estimate_at_completion{{{T}}}",
                         "EAC {{team}} {{project}}"),
                  target(f"orgpulse_project_budget_at_completion{{{T}}}",
                         "BAC {{team}} {{project}}")],
                 unit="short", min_=0)
    d.timeseries("Earned value, planned value, actual cost",
                 [target(f"sum by (team) (orgpulse_project_earned_value{{{T}}})",
                         "EV {{team}}"),
                  target(f"sum by (team) (orgpulse_project_planned_value{{{T}}})",
                         "PV {{team}}"),
                  target(f"sum by (team) (orgpulse_project_actual_cost{{{T}}})",
                         "AC {{team}}")],
                 unit="short", min_=0,
                 description="Summed over a team's projects: meaningful when they share a currency.")

    d.row("Deadlines and milestones")
    d.bargauge("Milestones by state",
               [target(f"sum by (state) (orgpulse_milestones{{{T}}})", "{{state}}",
                       instant=True)],
               w=8, min_=0)
    d.bargauge("Milestone hit ratio per team",
               [target(f"team:orgpulse_milestones_hit:ratio{{{T}}}", "{{team}}",
                       instant=True)],
               unit="percentunit", thresholds_=RED_AMBER_GREEN_RATIO, min_=0, max_=1,
               w=8, description="met / (met + missed); pending milestones are not counted.")
    d.bargauge("Worst milestone slip per team",
               [target(f"orgpulse_milestone_max_slip_seconds{{{T}}}", "{{team}}",
                       instant=True)],
               unit="s", min_=0, w=8,
               thresholds_=thresholds(("green", None), ("orange", 86400), ("red", 604800)))
    d.timeseries("Missed milestones per team",
                 [target(f'orgpulse_milestones{{{T},state="missed"}}', "{{team}}")],
                 min_=0, step=True,
                 description="Missed: due date passed unreached, or reached late. "
                             "The OrgpulseMilestoneMissed alert fires when this grows.")
    d.timeseries("Total milestone slip per team",
                 [target(f"orgpulse_milestone_slip_seconds{{{T}}}", "{{team}}")],
                 unit="s", min_=0,
                 description="Sum of the lateness of missed milestones; it grows while a "
                             "missed milestone stays unreached.")

    d.row("Procedures")
    d.table("Procedure compliance",
            [target(f"orgpulse_procedure_compliance_ratio{{{T}}}", ref="A"),
             target(f"orgpulse_procedure_checks{{{T}}}", ref="B")],
            {"A": "Compliance", "B": "Checks"}, by="team, procedure", w=12, h=9,
            overrides=[{"matcher": {"id": "byName", "options": "Compliance"},
                        "properties": [{"id": "unit", "value": "percentunit"},
                                       {"id": "thresholds", "value": RED_AMBER_GREEN_RATIO},
                                       {"id": "custom.cellOptions",
                                        "value": {"type": "color-background"}}]}])
    d.bargauge("Compliance per team (all procedures)",
               [target(f"team:orgpulse_procedure_compliance:ratio{{{T}}}", "{{team}}",
                       instant=True)],
               unit="percentunit", thresholds_=RED_AMBER_GREEN_RATIO, min_=0, max_=1,
               w=12, h=9, description="Passed checks over all checks of the team.")

    d.row("Monthly numbers")
    d.table("KPIs this month",
            [target(f"orgpulse_kpi_actual{{{T}}}", ref="A"),
             target(f"orgpulse_kpi_target{{{T}}}", ref="B"),
             target(f"orgpulse_kpi_forecast{{{T}}}", ref="C"),
             target(f"orgpulse_kpi_attainment_ratio{{{T}}}", ref="D"),
             target(f"orgpulse_kpi_forecast_attainment_ratio{{{T}}}", ref="E")],
            {"A": "Actual", "B": "Target", "C": "Forecast at month end",
             "D": "Attained", "E": "Forecast attainment"}, by="team, kpi", w=12, h=8,
            overrides=[{"matcher": {"id": "byRegexp", "options": "Attained|Forecast attainment"},
                        "properties": [{"id": "unit", "value": "percentunit"},
                                       {"id": "thresholds", "value": RED_AMBER_GREEN_RATIO},
                                       {"id": "custom.cellOptions",
                                        "value": {"type": "color-background"}}]}])
    d.bargauge("Month-end forecast against target",
               [target(f"orgpulse_kpi_forecast_attainment_ratio{{{T}}}", "{{team}} {{kpi}}",
                       instant=True)],
               unit="percentunit", thresholds_=RED_AMBER_GREEN_RATIO, min_=0, max_=1.5,
               w=12, h=8)
    d.timeseries("KPI actual against target",
                 [target(f"orgpulse_kpi_actual{{{T}}} / orgpulse_kpi_target{{{T}}}",
                         "{{team}} {{kpi}}")],
                 unit="percentunit", min_=0, w=24,
                 description="Attainment through the month; it restarts with each month.")
    return d


def leader_view():
    d = Dashboard(
        "orgpulse-leader", "orgpulse / Leader view",
        "Do people feel safe, get feedback, grow, burn out, trust their leaders, "
        "believe in the vision, want to stay? From orgpulse-insights' survey rounds.",
        team_variables("orgpulse_team_quadrant"))
    d.text("Privacy",
           "Survey figures are released only for groups with at least k respondents "
           "(default 5) that cannot be recovered from other released figures. A "
           "suppressed group simply has **no series** here: empty panels for a team "
           "mean its figures are withheld, not zero.", h=3)

    d.row("Latest round")
    d.stat("Respondents",
           [target(f"sum(orgpulse_survey_respondents{{{T}}})", "respondents")],
           w=4, description="In the latest round, released groups only.")
    d.stat("eNPS (respondent-weighted)",
           [target(f"sum(orgpulse_enps{{{T}}} * on (team, job, instance) "
                   f"orgpulse_survey_respondents{{{T}}}) / "
                   f"sum(orgpulse_survey_respondents{{{T}}})", "eNPS")],
           w=4, decimals=0,
           thresholds_=thresholds(("red", None), ("orange", 0), ("green", 20)),
           description="% promoters (9-10) - % detractors (0-6), -100 to 100.")
    d.stat("Intent to stay",
           [target(f"sum(orgpulse_intent_to_stay_score{{{T}}} * on (team, job, instance) "
                   f"orgpulse_survey_respondents{{{T}}}) / "
                   f"sum(orgpulse_survey_respondents{{{T}}})", "intent to stay")],
           w=4, decimals=0, thresholds_=RED_AMBER_GREEN_SCORE,
           description="\"I see myself here in two years\", 0 to 100.")
    d.bargauge("Morale by dimension (respondent-weighted)",
               [target(f"sum by (dimension) (orgpulse_morale_score{{{T}}} "
                       f"* on (team, job, instance) group_left "
                       f"orgpulse_survey_respondents{{{T}}}) / scalar("
                       f"sum(orgpulse_survey_respondents{{{T}}}))", "{{dimension}}",
                       instant=True)],
               thresholds_=RED_AMBER_GREEN_SCORE, min_=0, max_=100, w=12, h=8)
    d.table("Morale per team and dimension",
            [target(f"orgpulse_morale_score{{{T}}}", ref="A")], {"A": "Score"},
            by="team, dimension", h=9,
            extra_transformations=[{"id": "groupingToMatrix", "options": {
                "columnField": "dimension", "rowField": "team", "valueField": "Score"}}],
            overrides=[{"matcher": {"id": "byType", "options": "number"},
                        "properties": [{"id": "decimals", "value": 0},
                                       {"id": "thresholds", "value": RED_AMBER_GREEN_SCORE},
                                       {"id": "custom.cellOptions",
                                        "value": {"type": "color-background"}}]}],
            description="0 to 100, the latest round. Below 60 is a driver of the people score.")
    d.bargauge("eNPS per team",
               [target(f"orgpulse_enps{{{T}}}", "{{team}}", instant=True)],
               thresholds_=thresholds(("red", None), ("orange", 0), ("green", 20)),
               min_=-100, max_=100, w=12, h=8)
    d.bargauge("Respondents per team",
               [target(f"orgpulse_survey_respondents{{{T}}}", "{{team}}", instant=True)],
               min_=0, w=12, h=8)

    d.row("Trends between rounds")
    d.timeseries("eNPS", [target(f"orgpulse_enps{{{T}}}", "{{team}}")],
                 min_=-100, max_=100, step=True,
                 description="Each step is a new round (or a late response to it).")
    d.timeseries("Intent to stay",
                 [target(f"orgpulse_intent_to_stay_score{{{T}}}", "{{team}}")],
                 min_=0, max_=100, step=True)
    d.timeseries("Morale by dimension",
                 [target(f"orgpulse_morale_score{{{T}}}", "{{team}} {{dimension}}")],
                 min_=0, max_=100, step=True, w=24, h=10)
    d.bargauge("eNPS change over the time range",
               [target(f"delta(orgpulse_enps{{{T}}}[$__range])", "{{team}}",
                       instant=True)],
               thresholds_=thresholds(("red", None), ("orange", 0), ("green", 5)),
               w=12, h=8,
               description="Latest minus earliest value in the dashboard's time range: "
                           "pick a range that spans two rounds.")
    d.bargauge("Morale change over the time range (largest drops first)",
               [target(f"bottomk(10, delta(orgpulse_morale_score{{{T}}}[$__range]))",
                       "{{team}} {{dimension}}", instant=True)],
               thresholds_=thresholds(("red", None), ("orange", 0), ("green", 5)),
               w=12, h=8)
    return d


def where_they_meet():
    d = Dashboard(
        "orgpulse-meet", "orgpulse / Where they meet",
        "The execution score (manager view) against the people score (leader view) "
        "per team: quadrant, burnout and turnover risk, the org ranked by risk.",
        team_variables("orgpulse_team_quadrant"))

    d.row("Execution against people")
    d.panel(
        "xychart", "Execution score against people score",
        [target(f"max by (team) (orgpulse_execution_score{{{T}}})", instant=True,
                table=True, ref="A"),
         target(f"max by (team) (orgpulse_people_score{{{T}}})", instant=True,
                table=True, ref="B")],
        w=12, h=12,
        description="One point per team (teams whose survey figures are suppressed "
                    "have no people score, and no point). Both scores 0-100; the "
                    "quadrants split at 60: right and up THRIVING, right and down "
                    "BURNOUT_RISK, left and up EXECUTION_GAP, left and down AT_RISK.",
        fieldConfig=field_config(min_=0, max_=100, custom={
            "show": "points", "pointSize": {"fixed": 10},
            "axisPlacement": "auto", "hideFrom": {"legend": False, "tooltip": False,
                                                  "viz": False}}),
        options={"dims": {"frame": 0, "x": "Execution score"},
                 "seriesMapping": "auto", "series": [],
                 "legend": {"displayMode": "list", "placement": "bottom",
                            "showLegend": True},
                 "tooltip": {"mode": "single", "sort": "none"}},
        transformations=[
            {"id": "merge", "options": {}},
            {"id": "organize", "options": {
                "excludeByName": {"Time": True, "job": True, "instance": True},
                "renameByName": {"Value #A": "Execution score", "Value #B": "People score"},
                "indexByName": {"team": 0, "Value #A": 1, "Value #B": 2}}},
            {"id": "filterByValue", "options": {
                "type": "exclude", "match": "any",
                "filters": [{"fieldName": "People score",
                             "config": {"id": "isNull", "options": {}}}]}},
        ])
    d.table("Teams",
            [target(f"team:orgpulse_team_quadrant:code{{{T}}}", ref="A"),
             target(f"orgpulse_execution_score{{{T}}}", ref="B"),
             target(f"orgpulse_people_score{{{T}}}", ref="C"),
             target(f"orgpulse_burnout_risk_ratio{{{T}}}", ref="D"),
             target(f"orgpulse_turnover_risk_ratio{{{T}}}", ref="E")],
            {"A": "Quadrant", "B": "Execution", "C": "People", "D": "Burnout risk",
             "E": "Turnover risk"}, by="team", w=12, h=12,
            overrides=[
                {"matcher": {"id": "byName", "options": "Quadrant"},
                 "properties": [{"id": "mappings", "value": QUADRANT_MAPPINGS},
                                {"id": "custom.cellOptions",
                                 "value": {"type": "color-text"}}]},
                {"matcher": {"id": "byRegexp", "options": "Execution|People"},
                 "properties": [{"id": "decimals", "value": 0},
                                {"id": "thresholds", "value": RED_AMBER_GREEN_SCORE},
                                {"id": "custom.cellOptions",
                                 "value": {"type": "color-text"}}]},
                {"matcher": {"id": "byRegexp", "options": ".*risk"},
                 "properties": [{"id": "decimals", "value": 2},
                                {"id": "thresholds", "value": GREEN_AMBER_RED_RISK},
                                {"id": "custom.cellOptions",
                                 "value": {"type": "color-background"}}]}])

    d.row("Quadrants")
    d.panel("state-timeline", "Quadrant over time",
            [target(f"team:orgpulse_team_quadrant:code{{{T}}}", "{{team}}")],
            w=16, h=9,
            fieldConfig=field_config(mappings=QUADRANT_MAPPINGS,
                                     thresholds_=thresholds(("text", None)),
                                     custom={"fillOpacity": 70, "lineWidth": 0}),
            options={"mergeValues": True, "showValue": "auto", "alignValue": "left",
                     "rowHeight": 0.9,
                     "legend": {"displayMode": "list", "placement": "bottom",
                                "showLegend": True},
                     "tooltip": {"mode": "single", "sort": "none"}})
    d.panel("piechart", "Teams per quadrant",
            [target(f"count by (quadrant) (orgpulse_team_quadrant{{{T}}} == 1)",
                    "{{quadrant}}", instant=True)],
            w=8, h=9,
            fieldConfig=field_config(),
            options={"reduceOptions": REDUCE_LAST, "pieType": "donut",
                     "displayLabels": ["name", "value"],
                     "legend": {"displayMode": "list", "placement": "right",
                                "showLegend": True},
                     "tooltip": {"mode": "single", "sort": "none"}})

    d.row("Risk")
    d.bargauge("Burnout risk",
               [target(f"sort_desc(orgpulse_burnout_risk_ratio{{{T}}})", "{{team}}",
                       instant=True)],
               thresholds_=GREEN_AMBER_RED_RISK, min_=0, max_=1, w=8, h=9,
               description="0.5 (1 - wellbeing) + 0.2 (1 - recognition) + "
                           "0.15 (1 - autonomy) + 0.15 overdue / open tasks.")
    d.bargauge("Turnover risk",
               [target(f"sort_desc(orgpulse_turnover_risk_ratio{{{T}}})", "{{team}}",
                       instant=True)],
               thresholds_=GREEN_AMBER_RED_RISK, min_=0, max_=1, w=8, h=9,
               description="0.45 (1 - intent to stay) + 0.2 (100 - eNPS) / 200 + "
                           "0.15 (1 - growth) + 0.2 (1 - trust in leadership). "
                           "The OrgpulseTurnoverRiskHigh alert fires above 0.6.")
    d.table("The org ranked by risk",
            [target(f'sort_desc(team:orgpulse_combined_risk:max{{team=~"$department(/.*)?"}})',
                    ref="A"),
             target(f'team:orgpulse_team_quadrant:code{{team=~"$department(/.*)?"}}',
                    ref="B")],
            {"A": "Combined risk", "B": "Quadrant"}, w=8, h=9, sort_by="Combined risk",
            description="The larger of burnout and turnover risk, highest first, for the "
                        "whole department (not only the selected teams). Teams with "
                        "suppressed survey figures have no risk and are left out.",
            extra_transformations=[{"id": "filterByValue", "options": {
                "type": "exclude", "match": "any",
                "filters": [{"fieldName": "Combined risk",
                             "config": {"id": "isNull", "options": {}}}]}}],
            overrides=[
                {"matcher": {"id": "byName", "options": "Quadrant"},
                 "properties": [{"id": "mappings", "value": QUADRANT_MAPPINGS},
                                {"id": "custom.cellOptions",
                                 "value": {"type": "color-text"}}]},
                {"matcher": {"id": "byName", "options": "Combined risk"},
                 "properties": [{"id": "decimals", "value": 2},
                                {"id": "thresholds", "value": GREEN_AMBER_RED_RISK},
                                {"id": "custom.cellOptions",
                                 "value": {"type": "color-background"}}]}])

    d.row("Over time")
    d.timeseries("Execution score", [target(f"orgpulse_execution_score{{{T}}}", "{{team}}")],
                 min_=0, max_=100, thresholds_=RED_AMBER_GREEN_SCORE)
    d.timeseries("People score", [target(f"orgpulse_people_score{{{T}}}", "{{team}}")],
                 min_=0, max_=100, thresholds_=RED_AMBER_GREEN_SCORE, step=True)
    d.timeseries("Age of the execution figures insights works from",
                 [target(f"orgpulse_execution_figures_age_seconds{{{T}}}", "{{team}}")],
                 unit="s", min_=0, w=24, h=6,
                 description="Grows when insights cannot read ingest (it then answers "
                             "from the last figures it has, marked stale).")
    return d


def service_health():
    d = Dashboard(
        "orgpulse-service-health", "orgpulse / Service health",
        "orgpulse-ingest and orgpulse-insights as services: up, push rate and errors, "
        "latency, duplicates, storage commits, scrapes.",
        [datasource_variable(),
         query_variable("instance", "Instance",
                        f"label_values(up{{{JOBS}}}, instance)")])
    I = 'instance=~"$instance"'

    d.row("Up")
    d.stat("Up", [target(f"up{{{JOBS},{I}}}", "{{job}} {{instance}}")],
           thresholds_=thresholds(("red", None), ("green", 1)), w=8, graph=False,
           mappings=[{"type": "value", "options": {
               "0": {"text": "down", "color": "red", "index": 0},
               "1": {"text": "up", "color": "green", "index": 1}}}])
    d.stat("insights reads ingest",
           [target(f"orgpulse_ingest_up{{{I}}}", "{{instance}}")],
           thresholds_=thresholds(("red", None), ("green", 1)), w=8, graph=False,
           mappings=[{"type": "value", "options": {
               "0": {"text": "failing", "color": "red", "index": 0},
               "1": {"text": "ok", "color": "green", "index": 1}}}],
           description="orgpulse_ingest_up: whether the latest read of ingest's figures succeeded.")
    d.stat("Since insights last read ingest",
           [target(f"time() - orgpulse_ingest_last_success_timestamp_seconds{{{I}}}",
                   "{{instance}}")],
           unit="s", w=8, graph=False,
           thresholds_=thresholds(("green", None), ("orange", 60), ("red", 300)))

    d.row("Input")
    d.timeseries("Events pushed to ingest",
                 [target(f"sum by (result) (rate(orgpulse_ingest_events_total{{{I}}}"
                         f"[$__rate_interval]))", "{{result}}")],
                 unit="ops", min_=0, stack=True,
                 description="Accepted (new) and duplicate (retried) events per second.")
    d.timeseries("Duplicate share of pushed events",
                 [target(f"job:orgpulse_ingest_duplicates:ratio_rate5m{{{I}}}",
                         "{{instance}}")],
                 unit="percentunit", min_=0, max_=1,
                 description="Retries of events already stored (5 minute rate). "
                             "High for a while after a source replays its history.")
    d.timeseries("Refused input",
                 [target(f"sum by (job, reason) (rate(orgpulse_ingest_events_rejected_total"
                         f"{{{I}}}[$__rate_interval]))", "{{job}} {{reason}}"),
                  target(f"sum by (job, reason) (rate(orgpulse_survey_responses_rejected_total"
                         f"{{{I}}}[$__rate_interval]))", "{{job}} {{reason}}")],
                 unit="ops", min_=0,
                 description="Items in batches refused as invalid, over the team limit, or "
                             "because the store failed or is full.")
    d.timeseries("Survey responses",
                 [target(f"sum by (result) (rate(orgpulse_survey_responses_total{{{I}}}"
                         f"[$__rate_interval]))", "{{result}}")],
                 unit="ops", min_=0, stack=True)

    d.row("gRPC")
    d.timeseries("Calls by method and code",
                 [target(f"sum by (job, grpc_method, grpc_code) (rate(grpc_server_handled_total"
                         f"{{{JOBS},{I}}}[$__rate_interval]))",
                         "{{grpc_method}} {{grpc_code}}")],
                 unit="reqps", min_=0)
    d.timeseries("Server error ratio per method",
                 [target(f"job:grpc_server_errors:ratio_rate5m{{{I}}}",
                         "{{job}} {{grpc_method}}")],
                 unit="percentunit", min_=0,
                 thresholds_=thresholds(("green", None), ("red", 0.05)), threshold_line=True,
                 description="UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE "
                             "and DATA_LOSS over all calls (5 minute rate).")
    d.timeseries("Latency, 99th percentile",
                 [target(f"histogram_quantile(0.99, sum by (job, grpc_method, le) "
                         f"(rate(grpc_server_handling_seconds_bucket{{{JOBS},{I}}}"
                         f"[$__rate_interval])))", "{{grpc_method}}")],
                 unit="s", min_=0)
    d.timeseries("Latency, median",
                 [target(f"histogram_quantile(0.5, sum by (job, grpc_method, le) "
                         f"(rate(grpc_server_handling_seconds_bucket{{{JOBS},{I}}}"
                         f"[$__rate_interval])))", "{{grpc_method}}")],
                 unit="s", min_=0)

    d.row("Storage")
    d.timeseries("Store commit time",
                 [target(f"histogram_quantile(0.99, sum by (instance, le) "
                         f"(rate(orgpulse_store_commit_seconds_bucket{{{I}}}[$__rate_interval])))",
                         "p99 {{instance}}"),
                  target(f"histogram_quantile(0.5, sum by (instance, le) "
                         f"(rate(orgpulse_store_commit_seconds_bucket{{{I}}}[$__rate_interval])))",
                         "p50 {{instance}}")],
                 unit="s", min_=0,
                 description="ingest's group commits (one per batch of pushes), fsync "
                             "included with --sync=full.")
    d.timeseries("Store commits",
                 [target(f"sum by (instance) (rate(orgpulse_store_commits_total{{{I}}}"
                         f"[$__rate_interval]))", "{{instance}}")],
                 unit="ops", min_=0)
    d.stat("Events stored", [target(f"sum(orgpulse_store_events{{{I}}})", "events")], w=6)
    d.stat("Teams", [target(f"max(orgpulse_teams{{{I}}})", "teams")], w=6,
           description="Bounded by --max_teams.")
    d.stat("Survey responses stored",
           [target(f"sum(orgpulse_survey_responses_stored{{{I}}})", "responses")], w=6)
    d.stat("Resident memory",
           [target(f"max by (job) (process_resident_memory_bytes{{{JOBS},{I}}})", "{{job}}")],
           unit="bytes", w=6)

    d.row("Security and storage faults")
    d.timeseries("Calls refused for their token",
                 [target(f"sum by (job, reason) (rate(orgpulse_auth_refused_calls_total"
                         f"{{{I}}}[$__rate_interval]))", "{{job}} {{reason}}")],
                 unit="reqps", min_=0,
                 description="no_token, unknown_token (revoked, mistyped or guessed) and "
                             "missing_scope (a known client calling what it may not); "
                             "docs/security.md.")
    d.stat("Tokens loaded",
           [target(f"max by (job) (orgpulse_auth_tokens{{{I}}})", "{{job}}")], w=4,
           description="Clients in the tokens file (0 when run with "
                       "--allow_unauthenticated).")
    d.stat("Token reloads failed (1h)",
           [target(f"sum by (job) (increase(orgpulse_auth_reloads_total"
                   f"{{result=\"error\",{I}}}[1h]))", "{{job}}")], w=4, graph=False,
           thresholds_=thresholds(("green", None), ("orange", 1)),
           description="SIGHUP found a tokens file that does not parse; the old tokens "
                       "stay in force.")
    d.stat("Store takes writes",
           [target(f"orgpulse_store_writable{{{I}}}", "{{job}} {{instance}}")],
           thresholds_=thresholds(("red", None), ("green", 1)), w=4, graph=False,
           mappings=[{"type": "value", "options": {
               "0": {"text": "full", "color": "red", "index": 0},
               "1": {"text": "ok", "color": "green", "index": 1}}}],
           description="0 while the disk (or --max_store_bytes) is full: pushes get "
                       "RESOURCE_EXHAUSTED and health is NOT_SERVING until space "
                       "returns; docs/storage-faults.md.")

    d.row("Scrapes and process")
    d.timeseries("Samples per scrape",
                 [target(f"scrape_samples_scraped{{{JOBS},{I}}}", "{{job}} {{instance}}")],
                 min_=0,
                 description="Grows with teams, projects, procedures and KPIs: "
                             "--max_teams bounds it.")
    d.timeseries("Bytes per scrape",
                 [target(f"rate(exposer_transferred_bytes_total{{{JOBS},{I}}}[$__rate_interval])"
                         f" / rate(exposer_scrapes_total{{{JOBS},{I}}}[$__rate_interval])",
                         "{{job}} {{instance}}")],
                 unit="bytes", min_=0)
    d.timeseries("Scrape duration",
                 [target(f"scrape_duration_seconds{{{JOBS},{I}}}", "{{job}} {{instance}}")],
                 unit="s", min_=0)
    d.timeseries("CPU",
                 [target(f"rate(process_cpu_seconds_total{{{JOBS},{I}}}[$__rate_interval])",
                         "{{job}} {{instance}}")],
                 unit="percentunit", min_=0)
    return d


DASHBOARDS = {
    "orgpulse-manager.json": manager_view,
    "orgpulse-leader.json": leader_view,
    "orgpulse-meet.json": where_they_meet,
    "orgpulse-service-health.json": service_health,
}


def render():
    """file name -> JSON text."""
    return {name: json.dumps(build().to_json(), indent=2, sort_keys=True) + "\n"
            for name, build in DASHBOARDS.items()}


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, text in render().items():
        with open(os.path.join(OUT_DIR, name), "w") as f:
            f.write(text)
        print("wrote", os.path.join(OUT_DIR, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
