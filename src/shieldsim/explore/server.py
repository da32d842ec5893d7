"""The explorer's web application (Tornado): the page, its vendored assets and a JSON API.

Routes (everything else is 404; no file outside ``static/`` is ever served):

- ``GET /``: the page (``static/index.html``); ``GET /static/...``: its assets, Leaflet included
  (Tornado's `StaticFileHandler` refuses paths leaving the folder).
- ``GET /api/options``: built-in scenarios, profiles, cooperation options, control ranges, the
  scenario the command was started with. ``GET /api/layers``: borders and cities.
- ``POST /api/describe`` (controls): the base scenario's batteries (with the interceptor each
  fires and the interceptors it may be given), radars and launch areas.
- ``POST /api/upload`` (TOML text): ``{"status": "ok", "id"}`` or ``{"status": "invalid",
  "control": "upload", "message"}`` with the messages of ``shieldsim validate``.
- ``POST /api/compute`` (controls): ``{"status": "done", "result"}`` when cached, else
  ``{"status": "running", "job"}`` -- the job runs on the one compute thread and every earlier job
  is cancelled; ``{"status": "invalid", "control", "message"}`` for bad input.
- ``POST /api/timeline`` (``{controls, city: {name, lat, lon}}``): the city's engagement timeline
  per launch area (`timeline.city_timeline`).
- ``POST /api/deterrent`` (``{controls, variant}``): the deterrent view of the scenario on screen
  (`deterrent_view.DeterrentViews`): ICBM/SLBM tracks to North America and the engageable
  flight x battery pairs under a sensor variant.
- ``GET /api/job/<id>``: ``{"status": "running", "done", "total", "stage"}``, then ``done`` with the
  result, ``cancelled`` or ``failed`` (with ``message``).
- ``GET /download/<key>/<file>``: ``scenario.toml`` (the scenario on screen), ``figures.csv``,
  ``figures.geojson``, ``map.png``, ``map.svg`` of a computed result.

Every response carries a Content-Security-Policy allowing only this origin, so the page cannot
load anything from elsewhere even by mistake.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

import numpy as np
import tornado.web

from . import controls as ctl
from . import layers
from .deterrent_view import DeterrentViews
from .engine import Cancelled, Engine, Result

STATIC = Path(str(resources.files("shieldsim") / "explore" / "static"))
MAX_BODY_BYTES = ctl.MAX_UPLOAD_BYTES + 64 * 1024
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'")
DOWNLOADS = ("scenario.toml", "figures.csv", "figures.geojson", "map.png", "map.svg")


class Job:
    """One computation: its progress, its outcome, and the flag that cancels it."""

    def __init__(self, job_id: str, built: ctl.Built):
        self.id = job_id
        self.built = built
        self.status = "running"
        self.done, self.total, self.stage = 0, 1, "queued"
        self.result: dict | None = None
        self.message = ""
        self.cancel = threading.Event()

    def as_dict(self) -> dict:
        out = {"status": self.status, "job": self.id, "done": self.done, "total": self.total, "stage": self.stage}
        if self.result is not None:
            out["result"] = self.result
        if self.message:
            out["message"] = self.message
        return out


class State:
    """The application's state: uploads, engine, deterrent views, jobs, and the thread pools.
    ``executor``: the `parallel.Executor` the engine flies flight batches on (None: this process)."""

    def __init__(self, initial_scenario: str = "epaa-2018", initial_grid_deg: float = 1.0,
                 initial_threat_area: str = "all", executor=None):
        self.initial_scenario = initial_scenario
        self.initial_grid_deg = initial_grid_deg
        self.initial_threat_area = initial_threat_area
        self.uploads = ctl.Uploads()
        self.engine = Engine(executor=executor)
        self.deterrent = DeterrentViews()
        self.jobs: dict[str, Job] = {}
        self.ids = itertools.count(1)
        self.compute_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="explore-compute")
        self.figure_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="explore-figures")

    def submit(self, built: ctl.Built) -> Job:
        """Cancel every running job and queue a new one for ``built``."""
        for job in self.jobs.values():
            job.cancel.set()
        job = Job(str(next(self.ids)), built)
        self.jobs[job.id] = job
        while len(self.jobs) > 64:
            self.jobs.pop(next(iter(self.jobs)))
        self.compute_pool.submit(self._run, job)
        return job

    def _run(self, job: Job) -> None:
        def progress(done, total, stage):
            job.done, job.total, job.stage = int(done), int(total), stage

        if job.cancel.is_set():
            job.status = "cancelled"
            return
        try:
            result = self.engine.compute(job.built, progress, job.cancel.is_set)
            job.result = payload(result)
            job.status = "done"
        except Cancelled:
            job.status = "cancelled"
        except Exception as err:  # never stop the server: report on the page
            job.message = f"{type(err).__name__}: {err}"
            job.status = "failed"


def payload(result: Result) -> dict:
    """The JSON the page draws: headline, country table, cells, sites."""
    fp, built = result.footprint, result.built
    split = result.nato_europe()
    nato, rest = split["nato_europe"], split["rest_of_region"]
    keys = ("population_total", "population_threatened", "population_defended", "fraction_defended_of_threatened")
    members = set(nato["members"]) | set(nato["territories"])
    rows = [{"iso3": r["iso3"], "name": r["name"], "nato_europe": r["iso3"] in members, **{k: r[k] for k in keys}}
            for r in result.population.country_rows() if r["population_threatened"]]
    i, j = np.nonzero(fp.threatened)
    from .. import assumptions

    return {
        "key": result.key, "scenario": built.shown.name, "title": built.shown.title, "year": built.shown.year,
        "grid_deg": built.grid_deg, "areas": list(built.areas),
        "nato_europe": {**{k: nato[k] for k in keys}, "membership_year": nato["membership_year"],
                        "membership_year_from": nato["membership_year_from"]},
        "rest_of_region": {k: rest[k] for k in keys},
        "countries": rows,
        "cells": {"lat": [round(float(x), 4) for x in fp.lat_deg[i]], "lon": [round(float(x), 4) for x in fp.lon_deg[j]],
                  "defended": [bool(x) for x in fp.defended[i, j]]},
        "sites": layers.sites(built.full, built.shown),
        "assumptions": assumptions.summary_text(assumptions.record(built.shown)),
    }


# ----------------------------------------------------------------------------------- downloads


def figures_csv(result: Result) -> str:
    """The NATO-Europe and rest-of-region rows, then one row per country with people on the grid."""
    split = result.nato_europe()
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    keys = ("population_total", "population_threatened", "population_defended", "fraction_defended_of_threatened")
    w.writerow(("scope", "iso3", "name", *keys))
    year = split["nato_europe"]["membership_year"]
    w.writerow(("nato_europe", "", f"NATO's European members ({year})", *(split["nato_europe"][k] for k in keys)))
    w.writerow(("rest_of_region", "", "Rest of the region", *(split["rest_of_region"][k] for k in keys)))
    for r in result.population.country_rows():
        w.writerow(("country", r["iso3"], r["name"], *(r[k] for k in keys)))
    return out.getvalue()


def figures_geojson(result: Result) -> dict:
    """Two features: the defended cells and the threatened-not-defended cells (merged polygons),
    with the headline figures in the collection's properties."""
    from ..geography import mask_to_geojson

    fp = result.footprint
    feats = []
    for label, mask in (("defended", fp.defended), ("threatened, not defended", fp.threatened & ~fp.defended)):
        f = mask_to_geojson(fp.lat_deg, fp.lon_deg, mask, properties={"layer": label})["features"][0]
        feats.append(f)
    split = result.nato_europe()
    return {"type": "FeatureCollection", "features": feats,
            "properties": {"scenario": result.built.shown.name, "threat_areas": list(result.built.areas),
                           "grid_deg": result.built.grid_deg, **split}}


def map_figure(result: Result, fmt: str) -> bytes:
    """The map as PNG or SVG, drawn by `study.footprint_figure` (the ``coverage`` command's map)."""
    from .. import maps, study

    arch = study.Architecture.from_scenario(result.built.shown)
    areas = ", ".join(result.built.areas)
    fig = study.footprint_figure(arch, result.footprint, f"{arch.name}: defended area against {areas}")
    if fmt == "svg":
        return maps.svg_string(fig).encode("utf-8")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    return buf.getvalue()


# ----------------------------------------------------------------------------------- handlers


class Base(tornado.web.RequestHandler):
    def initialize(self, state: State):
        self.state = state

    def set_default_headers(self):
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")

    def json_body(self):
        try:
            return json.loads(self.request.body or b"{}")
        except (ValueError, UnicodeDecodeError) as err:
            raise ctl.ControlError("request", f"not a JSON object ({err})") from None

    def send(self, obj: dict) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(obj))

    def write_error(self, status_code: int, **kwargs) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"status": "error", "message": self._reason}))


class Index(Base):
    def get(self):
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish((STATIC / "index.html").read_bytes())


class Static(tornado.web.StaticFileHandler):
    def set_default_headers(self):
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")


class Options(Base):
    def get(self):
        from .. import assumptions, scenario as scen, study

        self.send({"scenarios": scen.builtin_names(), "profiles": assumptions.builtin_profiles(),
                   "options": [{"label": lab, "scenario": name} for lab, name in study.COOPERATION_OPTIONS],
                   "initial": {"scenario": self.state.initial_scenario, "grid_deg": self.state.initial_grid_deg,
                               "threat_area": self.state.initial_threat_area},
                   "ranges": {"grid_deg": ctl.GRID_RANGE_DEG, "speed_percent": ctl.SPEED_RANGE_PERCENT,
                              "launch_delay_s": ctl.DELAY_RANGE_S}})


class Layers(Base):
    def get(self):
        self.send({"borders": layers.borders(), "cities": layers.big_cities()})


class Describe(Base):
    def post(self):
        try:
            c = ctl.parse(self.json_body())
            try:
                sc = ctl.base_scenario(c, self.state.uploads)
            except ctl.scen.ScenarioError as err:
                raise ctl.ControlError("option" if c.option else "scenario", str(err)) from None
        except ctl.ControlError as err:
            return self.send({"status": "invalid", "control": err.control, "message": err.message})
        self.send({"status": "ok", "name": sc.name, "title": sc.title, "batteries": list(sc.batteries),
                   "radars": list(sc.radars), "launch_areas": list(sc.launch_areas),
                   "reference_ranges_km": {n: r.reference_range_km for n, r in sc.radars.items()},
                   "battery_interceptors": {n: b.interceptor for n, b in sc.batteries.items()},
                   "interceptor_choices": ctl.interceptor_choices(sc)})


class Upload(Base):
    def post(self):
        try:
            text = self.request.body.decode("utf-8")
        except UnicodeDecodeError as err:
            return self.send({"status": "invalid", "control": "upload",
                              "message": f"upload: 1 error\n  file: not UTF-8 text (byte at offset {err.start}); "
                                         "allowed: a UTF-8 encoded TOML file"})
        try:
            key = self.state.uploads.add(text)
        except ctl.ControlError as err:
            return self.send({"status": "invalid", "control": err.control, "message": err.message})
        self.send({"status": "ok", "id": key, "scenario": f"upload:{key}"})


class Compute(Base):
    def post(self):
        try:
            built = ctl.build(ctl.parse(self.json_body()), self.state.uploads)
        except ctl.ControlError as err:
            return self.send({"status": "invalid", "control": err.control, "message": err.message})
        hit = self.state.engine.cached(built)
        if hit is not None:
            for job in self.state.jobs.values():
                job.cancel.set()
            return self.send({"status": "done", "result": payload(hit)})
        self.send(self.state.submit(built).as_dict())


class Timeline(Base):
    async def post(self):
        from .timeline import city_timeline

        try:
            body = self.json_body()
            city = body.get("city") if isinstance(body, dict) else None
            if not isinstance(city, dict) or not isinstance(city.get("name"), str):
                raise ctl.ControlError("city", "allowed: {name, lat, lon} of a city on the map")
            lat = ctl._number(city, "lat", None, -90.0, 90.0, "degrees")
            lon = ctl._number(city, "lon", None, -180.0, 360.0, "degrees")
            built = ctl.build(ctl.parse(body.get("controls") or {}), self.state.uploads)
        except ctl.ControlError as err:
            return self.send({"status": "invalid", "control": err.control, "message": err.message})
        loop = asyncio.get_running_loop()
        try:
            out = await loop.run_in_executor(self.state.figure_pool, city_timeline, built, city["name"][:80], lat, lon)
        except Exception as err:  # never stop the server: report on the page
            return self.send({"status": "failed", "message": f"{type(err).__name__}: {err}"})
        self.send({"status": "ok", **out})


class Deterrent(Base):
    async def post(self):
        from .deterrent_view import VARIANTS

        try:
            body = self.json_body()
            if not isinstance(body, dict):
                raise ctl.ControlError("deterrent", "allowed: {controls, variant}")
            variant = body.get("variant") or "cue-as-track"
            if variant not in VARIANTS:
                raise ctl.ControlError("deterrent_variant", f"unknown sensor variant {variant!r}; allowed: {', '.join(VARIANTS)}")
            c = ctl.parse(body.get("controls") or {})
            built = ctl.build(c, self.state.uploads)
        except ctl.ControlError as err:
            return self.send({"status": "invalid", "control": err.control, "message": err.message})
        loop = asyncio.get_running_loop()
        try:
            out = await loop.run_in_executor(self.state.figure_pool, self.state.deterrent.compute, built, variant, c.profile)
        except Exception as err:  # never stop the server: report on the page
            return self.send({"status": "failed", "message": f"{type(err).__name__}: {err}"})
        self.send({"status": "ok", **out})


class JobStatus(Base):
    def get(self, job_id: str):
        job = self.state.jobs.get(job_id)
        if job is None:
            return self.send({"status": "failed", "job": job_id, "message": "unknown job"})
        self.send(job.as_dict())


class Download(Base):
    async def get(self, key: str, name: str):
        with self.state.engine.lock:
            result = self.state.engine.results.get(key)
        if result is None or name not in DOWNLOADS:
            raise tornado.web.HTTPError(404, reason="no such result or file")
        stem = f"{result.built.shown.name}-explore"
        if name == "scenario.toml":
            body, kind = result.built.toml.encode("utf-8"), "application/toml"
        elif name == "figures.csv":
            body, kind = figures_csv(result).encode("utf-8"), "text/csv"
        elif name == "figures.geojson":
            body, kind = json.dumps(figures_geojson(result)).encode("utf-8"), "application/geo+json"
        else:
            fmt = name.rsplit(".", 1)[1]
            loop = asyncio.get_running_loop()
            body = await loop.run_in_executor(self.state.figure_pool, map_figure, result, fmt)
            kind = "image/png" if fmt == "png" else "image/svg+xml"
        self.set_header("Content-Type", kind)
        self.set_header("Content-Disposition", f'attachment; filename="{stem}.{name.split(".", 1)[1]}"')
        self.finish(body)


class NoIcon(Base):
    def get(self):  # the browser asks for it; answer without logging a 404
        self.set_status(204)
        self.finish()


class NotFound(Base):
    def prepare(self):
        raise tornado.web.HTTPError(404, reason="not found")


def make_app(state: State) -> tornado.web.Application:
    """The Tornado application over ``state``."""
    s = {"state": state}
    return tornado.web.Application([
        (r"/", Index, s),
        (r"/static/(.*)", Static, {"path": str(STATIC)}),
        (r"/favicon.ico", NoIcon, s),
        (r"/api/options", Options, s),
        (r"/api/layers", Layers, s),
        (r"/api/describe", Describe, s),
        (r"/api/upload", Upload, s),
        (r"/api/compute", Compute, s),
        (r"/api/job/([0-9]+)", JobStatus, s),
        (r"/api/timeline", Timeline, s),
        (r"/api/deterrent", Deterrent, s),
        (r"/download/([0-9a-f]+)/([a-z.]+)", Download, s),
    ], default_handler_class=NotFound, default_handler_args=s, compress_response=True)


class Server:
    """The explorer's HTTP server on ``host``:``port`` (0 = a free port), whose page starts with
    ``scenario``, ``grid_deg`` and ``threat_area``; `start` runs it in a background thread (tests,
    benchmarks), `serve_forever` in this one (the command). ``executor``: a `parallel.Executor`
    for the flights (None: in this process), closed by whoever opened it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, scenario: str = "epaa-2018", grid_deg: float = 1.0,
                 threat_area: str = "all", executor=None):
        from tornado.netutil import bind_sockets

        self.state = State(scenario, grid_deg, threat_area, executor)
        self.sockets = bind_sockets(port, address=host)
        self.host = host
        self.port = self.sockets[0].getsockname()[1]
        self._loop = None
        self._thread = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def _serve(self, started: threading.Event | None = None):
        from tornado.httpserver import HTTPServer

        server = HTTPServer(make_app(self.state), max_body_size=MAX_BODY_BYTES)
        server.add_sockets(self.sockets)
        self._stop = asyncio.Event()
        if started is not None:
            started.set()
        await self._stop.wait()
        server.stop()

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl-C); a running computation is cancelled at its next batch."""
        try:
            asyncio.run(self._serve())
        finally:
            self._release()

    def _release(self) -> None:
        for job in list(self.state.jobs.values()):
            job.cancel.set()
        self.state.compute_pool.shutdown(wait=False, cancel_futures=True)
        self.state.figure_pool.shutdown(wait=False, cancel_futures=True)

    def start(self) -> Server:
        """Serve in a daemon thread; returns when the server accepts requests."""
        started = threading.Event()

        def run():
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self._serve(started))

        self._thread = threading.Thread(target=run, name="explore-server", daemon=True)
        self._thread.start()
        started.wait(30)
        return self

    def stop(self) -> None:
        """Stop a server started with `start`."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(10)
        self._release()
