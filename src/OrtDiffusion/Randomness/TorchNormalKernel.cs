namespace OrtDiffusion.Randomness;

/// <summary>
/// Which of PyTorch's two CPU kernels for <c>torch.randn</c> on float32 tensors of 16 or more
/// elements to reproduce. Both draw the same uniforms and apply Box–Muller in blocks of 16;
/// they differ in how log, sin and cos are evaluated, so about 40 % of values differ in the
/// last bits (at most about 2e-6 in absolute value).
/// </summary>
public enum TorchNormalKernel
{
    /// <summary>
    /// The AVX2 kernel (<c>normal_fill_AVX2</c>, Cephes-style polynomial log/sincos with fused
    /// multiply-adds) that x86-64 builds of PyTorch run on any CPU with AVX2 — what diffusers
    /// users on Linux or Windows PCs get. Reproduced with plain arithmetic, so it gives the same
    /// bits on every machine. The default.
    /// </summary>
    Avx2,

    /// <summary>
    /// The portable kernel (<c>normal_fill</c> with the C library's logf, cosf and sinf) that
    /// PyTorch runs without AVX2 (e.g. ARM, or <c>ATEN_CPU_CAPABILITY=default</c>). Uses .NET's
    /// MathF functions, which call the platform's C library: bit-exact against PyTorch on the
    /// same glibc.
    /// </summary>
    Scalar,
}
