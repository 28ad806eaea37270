"""Torch building blocks shared by the spaces, for 1D (sequences) and 2D (images) inputs."""

from __future__ import annotations

from torch import Tensor, nn


def conv(dims: int, c_in: int, c_out: int, kernel: int, stride: int = 1, **kw: object) -> nn.Module:
    """Conv1d or Conv2d with 'same'-style padding for odd kernels."""
    cls = nn.Conv1d if dims == 1 else nn.Conv2d
    kw.setdefault("padding", kernel // 2)
    return cls(c_in, c_out, kernel, stride=stride, **kw)  # type: ignore[arg-type]


def batch_norm(dims: int, channels: int) -> nn.Module:
    """BatchNorm1d or BatchNorm2d."""
    return nn.BatchNorm1d(channels) if dims == 1 else nn.BatchNorm2d(channels)


def avg_pool(dims: int, kernel: int, stride: int, padding: int = 0, ceil_mode: bool = False) -> nn.Module:
    """AvgPool1d or AvgPool2d that does not count padding."""
    cls = nn.AvgPool1d if dims == 1 else nn.AvgPool2d
    return cls(kernel, stride=stride, padding=padding, ceil_mode=ceil_mode, count_include_pad=False)


def global_avg_pool(dims: int) -> nn.Module:
    """Average over every spatial position, then flatten."""
    pool = nn.AdaptiveAvgPool1d(1) if dims == 1 else nn.AdaptiveAvgPool2d(1)
    return nn.Sequential(pool, nn.Flatten())


class ReLUConvBN(nn.Sequential):
    """ReLU, convolution without bias, BatchNorm: the NAS-Bench-201 convolution."""

    def __init__(self, dims: int, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(inplace=False),
            conv(dims, c_in, c_out, kernel, stride, bias=False),
            batch_norm(dims, c_out),
        )


class Zero(nn.Module):
    """The `none` operation: outputs zeros shaped like its input."""

    def forward(self, x: Tensor) -> Tensor:
        return x.mul(0.0)
