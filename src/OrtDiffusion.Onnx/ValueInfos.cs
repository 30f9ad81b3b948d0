using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Onnx;

/// <summary>Builds and reads <see cref="ValueInfoProto"/> tensor descriptions.</summary>
public static class ValueInfos
{
    /// <summary>A tensor value description; a null shape leaves the rank unspecified.</summary>
    public static ValueInfoProto Tensor(string name, ElementType type, IReadOnlyList<Dim>? shape)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)type };
        if (shape is not null)
        {
            tensorType.Shape = new TensorShapeProto();
            foreach (var dim in shape)
            {
                var d = new TensorShapeProto.Types.Dimension();
                if (dim.Value is long v)
                {
                    d.DimValue = v;
                }
                else if (dim.Param is string p)
                {
                    d.DimParam = p;
                }

                tensorType.Shape.Dim.Add(d);
            }
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }

    /// <summary>The element type of a tensor value description.</summary>
    public static ElementType ElementTypeOf(ValueInfoProto info) =>
        info.Type?.TensorType is { } t ? (ElementType)t.ElemType : ElementType.Undefined;

    /// <summary>The shape of a tensor value description, or null when its rank is unknown.</summary>
    public static Dim[]? ShapeOf(ValueInfoProto info)
    {
        if (info.Type?.TensorType?.Shape is not { } shape)
        {
            return null;
        }

        return [.. shape.Dim.Select(d => d.ValueCase switch
        {
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => Dim.Fixed(d.DimValue),
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => Dim.Symbolic(d.DimParam),
            _ => Dim.Unknown,
        })];
    }

    /// <summary>A readable form such as <c>float[batch,4,64,64]</c>.</summary>
    public static string Describe(ValueInfoProto info)
    {
        var shape = ShapeOf(info);
        var dims = shape is null ? "?" : "[" + string.Join(",", shape.Select(d => d.ToString())) + "]";
        return ElementTypes.Name(ElementTypeOf(info)) + dims;
    }
}
