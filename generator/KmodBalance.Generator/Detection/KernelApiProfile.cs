namespace KmodBalance.Generator.Detection;

/// <summary>
/// Everything about the input's kernel generation that the templates need, read
/// from the input tun.c itself. Templates branch on these fields only.
/// </summary>
public sealed record KernelApiProfile(
    SelectQueueShape SelectQueue,
    string SelectQueueSignature,
    bool TimerSetup,
    string TimerContainerOf,
    string TimerDeleteSync,
    string FlowHashCall,
    bool HasSteeringProg,
    bool HasAutomqFunction,
    bool NeedsVnetHeader,
    bool UsesAccessOnce,
    bool HasSysfsEmit,
    bool HasDeviceAttributes)
{
    /// <summary>One line for messages and the manifest.</summary>
    public string Summary =>
        $"ndo_select_queue {SelectQueue} (Linux {SelectQueue.Kernels()}); " +
        (TimerSetup ? $"timer_setup/{TimerContainerOf}" : "setup_timer") + $", {TimerDeleteSync}; " +
        $"flow hash {FlowHashCall}" +
        (HasSteeringProg ? "; eBPF steering" : "") +
        (NeedsVnetHeader ? "; tun_vnet.h" : "") +
        (UsesAccessOnce ? "; ACCESS_ONCE" : "") +
        (HasDeviceAttributes ? "; sysfs attributes" : "");
}
