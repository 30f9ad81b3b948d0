namespace OrtDiffusion.Runtime.Native;

/// <summary>Reads an <c>OrtTensorTypeAndShapeInfo</c> (owned by the caller).</summary>
internal static unsafe class TensorInfo
{
    /// <summary>Element type, dimensions (−1 where unknown) and, if asked, symbolic names (null where none).</summary>
    public static (TensorElementType Type, long[] Shape, string?[] Symbolic) Read(IntPtr info, bool readSymbolic)
    {
        int type;
        nuint rank;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, int*, IntPtr>)NativeApi.Fn(OrtApiSlots.GetTensorElementType))(info, &type), "GetTensorElementType");
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, nuint*, IntPtr>)NativeApi.Fn(OrtApiSlots.GetDimensionsCount))(info, &rank), "GetDimensionsCount");

        var shape = new long[(int)rank];
        fixed (long* dims = shape)
            OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, long*, nuint, IntPtr>)NativeApi.Fn(OrtApiSlots.GetDimensions))(info, dims, rank), "GetDimensions");

        var symbolic = new string?[(int)rank];
        if (readSymbolic && rank > 0)
        {
            var names = new IntPtr[(int)rank];
            fixed (IntPtr* p = names)
                OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, IntPtr*, nuint, IntPtr>)NativeApi.Fn(OrtApiSlots.GetSymbolicDimensions))(info, p, rank), "GetSymbolicDimensions");
            for (var i = 0; i < symbolic.Length; i++)
            {
                var name = Utf8.ToString((byte*)names[i]);
                symbolic[i] = string.IsNullOrEmpty(name) ? null : name;
            }
        }
        return ((TensorElementType)type, shape, symbolic);
    }
}
