"""The loggers that write a run's pictures, text and scalars to TensorBoard.

Every logger that writes (memory images, text samples, translation samples,
attention maps) is an `InspectionLogger` (`writer`), which owns one summary
writer and turns figures into images; `GradientNormLogger` only adds the
mean gradient norm to the epoch logs.
"""
