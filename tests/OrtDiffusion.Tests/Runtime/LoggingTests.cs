using OrtDiffusion.Runtime;

namespace OrtDiffusion.Tests.Runtime;

/// <summary>ONNX Runtime's log messages reach managed listeners instead of the console.</summary>
public class LoggingTests
{
    [Fact]
    public void Warnings_are_raised_as_events()
    {
        // ORT warns when it removes an initializer no node uses; the fixture has one called never_used_weight.
        var messages = new List<OrtLogEventArgs>();
        void OnMessage(object? sender, OrtLogEventArgs e)
        {
            lock (messages)
                messages.Add(e);
        }

        OrtEnvironment.Instance.MessageLogged += OnMessage;
        try
        {
            using var session = new InferenceSession(RuntimeFixtures.Model("unused_initializer.onnx"));
        }
        finally
        {
            OrtEnvironment.Instance.MessageLogged -= OnMessage;
        }

        OrtLogEventArgs warning;
        lock (messages)
            warning = Assert.Single(messages, m => m.Message.Contains("never_used_weight"));
        Assert.Equal(OrtLoggingLevel.Warning, warning.Level);
        Assert.False(string.IsNullOrEmpty(warning.CodeLocation));
    }
}
