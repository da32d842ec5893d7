"""``shieldsim explore``: an interactive, offline map of the shield in the browser.

- `controls`: what the page's controls say (`Controls`), checked one control at a time, and the
  edited scenario they stand for (`build`), whose TOML the page offers for download.
- `engine`: recomputation with caches (flights per threat set, engagements per architecture,
  results per scenario content), progress and cancellation.
- `layers`: what the map draws besides the cells (borders from Natural Earth, cities, sites).
- `server`: the Tornado application serving the page, its vendored assets and a small JSON API.
"""
