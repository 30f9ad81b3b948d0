using OrtDiffusion.Runtime;

namespace OrtDiffusion.Tests.Runtime;

/// <summary>Every disposable type tolerates a second Dispose and refuses use afterwards.</summary>
public class DisposalTests
{
    [Fact]
    public void Session_disposes_twice_and_then_refuses_runs()
    {
        var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"));
        using var input = OrtValue.CreateTensor(new float[4], [1, 4]);
        session.Dispose();
        session.Dispose();
        Assert.True(session.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => session.Run(new Dictionary<string, OrtValue> { ["x"] = input }));
        Assert.Throws<ObjectDisposedException>(() => session.CreateIoBinding());
        Assert.Equal("x", session.Inputs[0].Name); // metadata stays readable
    }

    [Fact]
    public void Disposing_a_session_during_a_run_waits_for_the_run()
    {
        // The run holds a reference on the native session; Dispose from another thread 20 ms into a ~0.2 s run
        // must not free it under ORT (that would crash the test process). Should the dispose win the race
        // and come before the run starts, the run must refuse cleanly instead.
        const int n = 384;
        using var input = OrtValue.CreateTensor(new float[n * n], [n, n]);
        var session = new InferenceSession(RuntimeFixtures.Model("slow_chain.onnx"));
        var disposer = new Thread(() =>
        {
            Thread.Sleep(20);
            session.Dispose();
        });
        disposer.Start();
        try
        {
            using var outputs = session.Run(new Dictionary<string, OrtValue> { ["x"] = input });
            Assert.Equal([(long)n, n], outputs[0].Shape.ToArray());
            Assert.All(outputs[0].ToArray<float>(), v => Assert.Equal(0f, v)); // tanh(0·x) chains stay 0
        }
        catch (ObjectDisposedException)
        {
            // Dispose came first.
        }
        disposer.Join();
        Assert.True(session.IsDisposed);
    }

    [Fact]
    public void Outputs_outlive_their_session()
    {
        var x = RuntimeFixtures.Floats("two_outputs", "x");
        RunOutputs outputs;
        using (var session = new InferenceSession(RuntimeFixtures.Model("two_outputs.onnx")))
        using (var input = OrtValue.CreateTensor(x, [2, 2]))
            outputs = session.Run(new Dictionary<string, OrtValue> { ["x"] = input });
        using (outputs)
            Assert.Equal(RuntimeFixtures.Floats("two_outputs", "sum"), outputs["sum"].ToArray<float>());
        outputs.Dispose();
        Assert.True(outputs[0].IsDisposed);
    }

    [Fact]
    public void Options_and_memory_info_dispose_twice()
    {
        var options = new SessionOptions();
        options.Dispose();
        options.Dispose();
        Assert.Throws<ObjectDisposedException>(() => options.IntraOpThreads = 2);
        Assert.Throws<ObjectDisposedException>(() => new InferenceSession(RuntimeFixtures.Model("mlp.onnx"), options));

        var info = OrtMemoryInfo.Create("Cpu");
        info.Dispose();
        info.Dispose();
        OrtMemoryInfo.Cpu.Dispose(); // shared: ignored
        Assert.Equal("Cpu", OrtMemoryInfo.Cpu.Name);
        using var value = OrtValue.CreateTensor(new float[1], [1]); // still usable after the no-op dispose
        Assert.Equal(1, value.ElementCount);
    }

    [Fact]
    public void Environment_is_a_quiet_singleton_at_warning_level()
    {
        Assert.Same(OrtEnvironment.Instance, OrtEnvironment.Instance);
        Assert.Equal(OrtLoggingLevel.Warning, OrtEnvironment.Instance.LoggingLevel);
        OrtEnvironment.DefaultLoggingLevel = OrtLoggingLevel.Warning; // unchanged: allowed
        Assert.Throws<InvalidOperationException>(() => OrtEnvironment.DefaultLoggingLevel = OrtLoggingLevel.Verbose);
    }
}
