"""A small CNN family, the example the documentation searches from the command line."""

from torch import nn


def tiny_cnn(k, task):
    """A small CNN family: depth, width, kernel and an optional pooling per block."""
    layers, c_in = [], task.input_shape[0]
    for i in k.range("blocks", 1, 2):
        c = k.choice(f"b{i}.channels", [8, 16])
        layers += [nn.Conv2d(c_in, c, k.choice(f"b{i}.kernel", [3, 5]), padding="same"), nn.ReLU()]
        if k.bool(f"b{i}.pool"):
            layers.append(nn.MaxPool2d(2))
        c_in = c
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, task.num_classes))
