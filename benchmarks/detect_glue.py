"""CPU seconds of the detection glue of a coverage: every `detect` of the batches' networks
through a `CoverageMemo` (prefetch first, as `study.run_batch` does), the compiled kernels'
CPU subtracted.

    python benchmarks/detect_glue.py [--options] [--passes 3]

Records the flights of one default coverage (epaa-2018, every area, 0.5 degree; ``--options``:
the three cooperation options of `shieldsim assess`), then per pass detects every batch in every
network a battery fires on and prints ``glue_cpu_s`` (`time.process_time` minus that of
`sweep._radar_batch` and `kernels._boost_sight`) and ``timelines_hash`` (a hash of every
`Timeline` field's bits: equal between trees when the timelines are). Compare two trees by
running each, in the same minutes, with its own ``XDG_CACHE_HOME``.
"""

import argparse
import hashlib
import time

import numpy as np

from coverage_stages import coverage_architectures

FIELDS = ("first_detection", "sensor_track_time", "sensor_report_time", "cued", "cue_time", "cue_sensor",
          "track_time", "track_sensor", "visible_start", "visible_end", "detect_start", "detect_end", "fire_control",
          "separation_time", "track_on")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--options", action="store_true", help="the three cooperation options together")
    ap.add_argument("--passes", type=int, default=3)
    args = ap.parse_args()
    from shieldsim import study
    from shieldsim.sensors import detection
    from shieldsim.study import tracks

    archs = coverage_architectures(args.options)
    areas = list(archs[0].scenario.launch_areas)
    flights = []
    record = tracks.SharedFlights.__init__

    def recording(self, traj):
        flights.append(traj)
        record(self, traj)

    tracks.SharedFlights.__init__ = recording
    study.coverage_many(archs, areas)
    tracks.SharedFlights.__init__ = record
    kernel_cpu = [0.0]

    def timed(kernel):
        def run(*a):
            t0 = time.process_time()
            kernel(*a)
            kernel_cpu[0] += time.process_time() - t0
        return run

    detection._radar_batch = timed(detection._radar_batch)
    detection._boost_sight = timed(detection._boost_sight)
    nets = [a.networks[n] for a in archs for n in dict.fromkeys(a.battery_networks) if n in a.networks]
    sensors = [s for net in nets for s in net.sensors]
    for p in range(args.passes):
        kernel_cpu[0] = 0.0
        timelines = []
        t0 = time.process_time()
        for traj in flights:
            memo = detection.CoverageMemo(traj)
            memo.prefetch(sensors)
            timelines += [detection.detect(traj, net, shared=memo) for net in nets]
        cpu = time.process_time() - t0 - kernel_cpu[0]
        digest = hashlib.sha256()
        for tl in timelines:
            for name in FIELDS:
                a = np.asarray(getattr(tl, name))
                digest.update(a.tobytes() if a.dtype != object else repr(a.tolist()).encode())
        print(f"pass={p} batches={len(flights)} glue_cpu_s={cpu:.3f} timelines_hash={digest.hexdigest()[:16]}")


if __name__ == "__main__":
    main()
