"""Block families (VGG, ResNet, MobileNet, DenseNet style): the space (`space`) and its blocks (`blocks`)."""
