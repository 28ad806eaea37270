"""Structural transforms of a trained model that change its saved shapes: channel pruning and
BatchNorm folding. `compress` applies them; loading replays them before the weights go in."""
