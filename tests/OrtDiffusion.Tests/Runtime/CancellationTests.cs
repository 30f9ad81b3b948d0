using OrtDiffusion.Runtime;

namespace OrtDiffusion.Tests.Runtime;

/// <summary>Stopping runs through RunOptions' terminate flag and cancellation tokens.</summary>
public class CancellationTests
{
    [Fact]
    public void Terminate_before_run_makes_the_run_throw_OperationCanceledException()
    {
        using var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"));
        using var input = OrtValue.CreateTensor(new float[8], [2, 4]);
        using var options = new RunOptions();
        options.Terminate();
        Assert.True(options.IsTerminateRequested);

        var ex = Assert.Throws<OperationCanceledException>(() =>
            session.Run(new Dictionary<string, OrtValue> { ["x"] = input }, null, options));
        Assert.Contains(session.ModelPath, ex.Message);

        options.ResetTerminate(); // the same options run normally again
        Assert.False(options.IsTerminateRequested);
        using var outputs = session.Run(new Dictionary<string, OrtValue> { ["x"] = input }, null, options);
        Assert.Single(outputs);
    }

    [Fact]
    public void Cancelling_the_token_stops_a_long_run()
    {
        // 400 chained 1024×1024 MatMuls take seconds (about 0.5 s already at 512 on this 2-core machine).
        // A dedicated thread cancels after 50 ms: a timer-based CancellationTokenSource depends on the thread
        // pool, which a busy test run can starve for longer than the whole run takes.
        const int n = 1024;
        var x = new float[n * n];
        for (var i = 0; i < x.Length; i++)
            x[i] = (i % 7 - 3) * 0.01f;
        using var session = new InferenceSession(RuntimeFixtures.Model("slow_chain.onnx"));
        using var input = OrtValue.CreateTensor(x, [n, n]);
        using var cts = new CancellationTokenSource();
        var canceller = new Thread(() =>
        {
            Thread.Sleep(50);
            cts.Cancel();
        }) { IsBackground = true };

        canceller.Start();
        var ex = Assert.ThrowsAny<OperationCanceledException>(() =>
            session.Run(new Dictionary<string, OrtValue> { ["x"] = input }, null, cts.Token));
        canceller.Join();
        Assert.Equal(cts.Token, ex.CancellationToken);
    }

    [Fact]
    public void Already_cancelled_token_does_not_start_the_run()
    {
        using var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"));
        using var input = OrtValue.CreateTensor(new float[8], [2, 4]);
        var ex = Assert.ThrowsAny<OperationCanceledException>(() =>
            session.Run(new Dictionary<string, OrtValue> { ["x"] = input }, null, new CancellationToken(canceled: true)));
        Assert.True(ex.CancellationToken.IsCancellationRequested);
    }

    [Fact]
    public void Terminate_after_dispose_is_ignored()
    {
        var options = new RunOptions();
        options.Dispose();
        options.Terminate();
        options.Dispose();
        Assert.Throws<ObjectDisposedException>(() => options.Tag = "x");
    }
}
