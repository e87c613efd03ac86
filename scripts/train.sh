#!/usr/bin/env bash
# The main command: trains BicycleGAN (examples/edges2shoes.ts), after the set-up.
# With no options it trains on the embedded synthetic data set; `--help` lists every option.
exec bash "$(dirname "$0")/run.sh" examples/edges2shoes.ts "$@"
