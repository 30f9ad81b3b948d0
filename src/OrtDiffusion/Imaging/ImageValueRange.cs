namespace OrtDiffusion.Imaging;

/// <summary>The value range of an image tensor.</summary>
public enum ImageValueRange
{
    /// <summary>[-1, 1]: what the VAE decoder outputs and the VAE encoder expects (−1 is black, 1 is white).</summary>
    MinusOneToOne,

    /// <summary>[0, 1]: what the reward models take.</summary>
    ZeroToOne,
}
