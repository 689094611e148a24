using LeakExt.Cli;

namespace LeakExt.Tests.Cli;

/// <summary>Ctrl-C as the standalone host sees it: the first cancels the command, a second while it winds down leaves.</summary>
public sealed class InterruptTests
{
    [Fact]
    public void First_Ctrl_C_cancels_the_command_a_second_one_leaves_and_at_the_prompt_none_does()
    {
        using var interrupts = new InterruptHandler(registerSignals: false);
        int leaves = 0, prompts = 0;
        interrupts.OnSecondInterrupt = () => leaves++;
        interrupts.AtPrompt = () => prompts++;

        CancellationToken token = interrupts.BeginCommand();
        interrupts.Interrupt();
        Assert.Equal((true, 0), (token.IsCancellationRequested, leaves));
        interrupts.Interrupt();
        Assert.Equal(1, leaves);
        interrupts.EndCommand();

        interrupts.Interrupt();
        Assert.Equal((1, 1), (leaves, prompts));
        CancellationToken next = interrupts.BeginCommand();
        Assert.False(next.IsCancellationRequested);
        interrupts.EndCommand();
    }

    [Fact]
    public void Ctrl_C_while_the_target_opens_cancels_the_batch_and_a_second_one_leaves()
    {
        using var interrupts = new InterruptHandler(registerSignals: false);
        int leaves = 0;
        interrupts.OnSecondInterrupt = () => leaves++;

        // No command runs and no prompt waits: the dump is still opening.
        interrupts.Interrupt();
        Assert.Equal((true, 0), (interrupts.ExitRequested, leaves));
        CancellationToken first = interrupts.BeginCommand();
        Assert.True(first.IsCancellationRequested);
        interrupts.EndCommand();

        interrupts.Interrupt();
        Assert.Equal(1, leaves);
    }
}
