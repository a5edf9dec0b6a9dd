"""Page weight and Slow-3G figures for the pages citizens open on phones, measured in Debian's
Chromium against a running demo server; prints a report and saves it in benchmarks/results/.

    bash scripts/demo &            # or: rembug migrate && rembug demo && rembug serve
    .venv/bin/python benchmarks/page_weight.py --base-url http://127.0.0.1:8000 \
        --passwords var/demo-passwords.txt
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 50_000,
    "uploadThroughput": 50_000,
}
PAGES = ["/", "/konsultasi/1", "/konsultasi/1/bagian/1", "/konsultasi/1/bagian/6", "/aspirasi/baru"]
CITIZEN = "siti.rahma@contoh.id"
RUNS = 5
# The first paint with text, from the browser's clock (it may be recorded just after "load").
FCP = """() => new Promise(resolve => new PerformanceObserver((list, observer) => {
  const entry = list.getEntriesByName('first-contentful-paint')[0];
  if (entry) { observer.disconnect(); resolve(entry.startTime); }
}).observe({type: 'paint', buffered: true}))"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--passwords", default="var/demo-passwords.txt")
    args = parser.parse_args()
    password = dict(
        line.split("\t")[:2]
        for line in Path(args.passwords).read_text().splitlines()
        if "\t" in line
    )[CITIZEN]
    rows: list[dict[str, Any]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 390, "height": 844})
        page = context.new_page()
        page.goto(args.base_url + "/masuk")
        page.fill("#login", CITIZEN)
        page.fill("#password", password)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        sizes: dict[str, float] = {}
        urls: dict[str, str] = {}
        cdp.on(
            "Network.responseReceived",
            lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: sizes.__setitem__(urls.get(e["requestId"], "?"), e["encodedDataLength"]),
        )
        for path in PAGES:
            sizes.clear()
            cdp.send(
                "Network.emulateNetworkConditions",
                {**SLOW_3G, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
            )
            page.goto(args.base_url + path, wait_until="networkidle")
            weight = sum(sizes.values())
            cdp.send("Network.emulateNetworkConditions", SLOW_3G)
            paints = []
            for _ in range(RUNS):
                page.goto(args.base_url + path)
                paints.append(page.evaluate(FCP))
            paints.sort()
            rows.append(
                {
                    "page": path,
                    "bytes_on_wire": int(weight),
                    "requests": len(sizes),
                    "slow3g_fcp_ms_median": round(paints[len(paints) // 2]),
                    "slow3g_fcp_ms_max": round(paints[-1]),
                }
            )
        browser.close()
    lines = [f"{'page':28} {'bytes':>7} {'req':>4} {'FCP median':>11} {'FCP max':>8}"]
    for r in rows:
        lines.append(
            f"{r['page']:28} {r['bytes_on_wire']:>7} {r['requests']:>4} "
            f"{r['slow3g_fcp_ms_median']:>9} ms {r['slow3g_fcp_ms_max']:>5} ms"
        )
    report = "\n".join(lines)
    print(report)
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"page_weight-{stamp}.json").write_text(json.dumps(rows, indent=2))
    (out / f"page_weight-{stamp}.txt").write_text(report + "\n")


if __name__ == "__main__":
    main()
