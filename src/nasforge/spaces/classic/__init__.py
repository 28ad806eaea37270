"""The classic image networks' stems and stages (AlexNet, VGG, GoogLeNet style), written with the
define-by-run API (`space`), and their blocks (`blocks`)."""
