"""Torch building blocks shared by the spaces, for 1D (sequences) and 2D (images) inputs."""

from __future__ import annotations

from torch import Tensor, nn

BN_MOMENTUM, BN_EPS = 0.1, 1e-5  # PyTorch's BatchNorm defaults


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


def activation(name: str, channels: int) -> nn.Module:
    """ReLU, PReLU (one slope per channel), ELU, SELU or LeakyReLU(0.1)."""
    if name == "relu":
        return nn.ReLU()
    if name == "prelu":
        return nn.PReLU(channels)
    if name == "elu":
        return nn.ELU()
    if name == "selu":
        return nn.SELU()
    return nn.LeakyReLU(0.1)


def pool(dims: int, kind: str, size: int) -> nn.Module:
    """Max or average pooling with window and stride `size`."""
    if kind == "max":
        return nn.MaxPool1d(size) if dims == 1 else nn.MaxPool2d(size)
    return avg_pool(dims, size, stride=size)


def spatial_after(
    size: tuple[int, ...], kernel: int, stride: int, padding: int, dilation: int = 1
) -> tuple[int, ...]:
    """Spatial size after a convolution or pooling window."""
    return tuple((s + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1 for s in size)
