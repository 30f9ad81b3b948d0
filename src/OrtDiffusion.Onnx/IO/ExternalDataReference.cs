using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Onnx.IO;

/// <summary>Where an initializer's bytes live when they are stored outside the model file.</summary>
/// <param name="Location">File name relative to the model's folder, as ONNX stores it.</param>
/// <param name="Offset">Byte offset of the first element in that file.</param>
/// <param name="Length">Number of bytes, or null when the tensor runs to the end of the file.</param>
public sealed record ExternalDataReference(string Location, long Offset, long? Length)
{
    /// <summary>Reads the reference from a tensor, or null when the tensor keeps its data inline.</summary>
    public static ExternalDataReference? From(TensorProto tensor)
    {
        if (tensor.DataLocation != TensorProto.Types.DataLocation.External)
        {
            return null;
        }

        string? location = null;
        long offset = 0;
        long? length = null;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "location":
                    location = entry.Value;
                    break;
                case "offset":
                    offset = ParseNumber(tensor, entry);
                    break;
                case "length":
                    length = ParseNumber(tensor, entry);
                    break;
            }
        }

        if (string.IsNullOrEmpty(location))
        {
            throw new InvalidDataException($"Initializer '{tensor.Name}' is marked external but has no 'location' entry.");
        }

        return new ExternalDataReference(location, offset, length);
    }

    /// <summary>Writes this reference into a tensor and marks its data external.</summary>
    public void ApplyTo(TensorProto tensor)
    {
        tensor.RawData = Google.Protobuf.ByteString.Empty;
        tensor.FloatData.Clear();
        tensor.Int32Data.Clear();
        tensor.Int64Data.Clear();
        tensor.DoubleData.Clear();
        tensor.Uint64Data.Clear();
        tensor.ExternalData.Clear();
        tensor.DataLocation = TensorProto.Types.DataLocation.External;
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = Location });
        tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = Offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (Length is long length)
        {
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
    }

    private static long ParseNumber(TensorProto tensor, StringStringEntryProto entry) =>
        long.TryParse(entry.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidDataException($"Initializer '{tensor.Name}' has an invalid external-data '{entry.Key}' value '{entry.Value}'.");
}
