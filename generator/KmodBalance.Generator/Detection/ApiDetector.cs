using System.Text.RegularExpressions;
using KmodBalance.Generator.Source;

namespace KmodBalance.Generator.Detection;

/// <summary>Reads the kernel API generation off an input tun.c.</summary>
public static partial class ApiDetector
{
    public static KernelApiProfile Detect(string tunC)
    {
        var select = Require(CSource.FindFunction(tunC, "tun_select_queue"), "the definition of tun_select_queue()");
        var signature = select.Signature(tunC);
        var shape = SelectQueueShapes.Classify(ParameterTypes(signature))
            ?? throw new UnsupportedTunSourceException(
                $"tun_select_queue() has an unknown signature: {Regex.Replace(signature, @"\s+", " ")}");

        var automq = CSource.FindFunction(tunC, "tun_automq_select_queue");
        var selectionBody = (automq ?? select).Body(tunC);
        var hash = FlowHashCall().Match(selectionBody);
        if (!hash.Success)
            throw new UnsupportedTunSourceException(
                $"no flow hash call (skb_get_rxhash, skb_get_hash, __skb_get_hash_symmetric) in {(automq ?? select).Name}()");

        var flowInit = Require(CSource.FindFunction(tunC, "tun_flow_init"), "the definition of tun_flow_init()").Body(tunC);
        var flowUninit = Require(CSource.FindFunction(tunC, "tun_flow_uninit"), "the definition of tun_flow_uninit()").Body(tunC);
        var timerSetup = flowInit.Contains("timer_setup(")
            || (flowInit.Contains("setup_timer(") ? false : throw new UnsupportedTunSourceException(
                "tun_flow_init() arms its timer with neither timer_setup() nor setup_timer()"));
        var deleteSync = flowUninit.Contains("timer_delete_sync(") ? "timer_delete_sync"
            : flowUninit.Contains("del_timer_sync(") ? "del_timer_sync"
            : throw new UnsupportedTunSourceException("tun_flow_uninit() stops its timer with neither timer_delete_sync() nor del_timer_sync()");

        return new KernelApiProfile(
            SelectQueue: shape,
            SelectQueueSignature: signature,
            TimerSetup: timerSetup,
            TimerContainerOf: tunC.Contains("timer_container_of(") ? "timer_container_of" : "from_timer",
            TimerDeleteSync: deleteSync,
            FlowHashCall: hash.Value,
            HasSteeringProg: select.Body(tunC).Contains("steering_prog") && tunC.Contains("tun_ebpf_select_queue("),
            HasAutomqFunction: automq is not null,
            NeedsVnetHeader: tunC.Contains("#include \"tun_vnet.h\""),
            UsesAccessOnce: !tunC.Contains("READ_ONCE("),
            HasSysfsEmit: tunC.Contains("sysfs_emit("),
            HasDeviceAttributes: tunC.Contains(DeviceAttributesArray),
            SelectQueueArguments: string.Join(", ", ParameterNames(signature)),
            RpsNeededCheck: RpsNeededCheck(tunC),
            HasXdpXmit: CSource.FindFunction(tunC, "tun_xdp_xmit")?.Body(tunC).Contains(XdpQueueChoice) == true);
    }

    /// <summary>Where tun_xdp_xmit() picks the queue of its frames, bypassing ndo_select_queue.</summary>
    public const string XdpQueueChoice = "tfile = rcu_dereference(tun->tfiles[smp_processor_id() %";

    /// <summary>How this tun.c tests that RFS is in use, when it saves flow hashes for RFS at all.</summary>
    private static string RpsNeededCheck(string tunC)
    {
        if (!tunC.Contains("tun_flow_save_rps_rxhash(") || !tunC.Contains("tun_flow_find("))
            return "";
        return tunC.Contains("static_branch_unlikely(&rps_needed)") ? "static_branch_unlikely(&rps_needed)"
            : tunC.Contains("static_key_false(&rps_needed)") ? "static_key_false(&rps_needed)"
            : "";
    }

    private static IEnumerable<string> ParameterNames(string signature)
    {
        var open = signature.IndexOf('(');
        return signature[(open + 1)..signature.LastIndexOf(')')].Split(',')
            .Select(p => Regex.Match(p, @"([A-Za-z_]\w*)\s*$").Groups[1].Value);
    }

    /// <summary>tun's sysfs attribute list, where the dynamic policy adds balance_stats.</summary>
    public const string DeviceAttributesArray = "static struct attribute *tun_dev_attrs[] = {";

    private static T Require<T>(T? found, string what) where T : class =>
        found ?? throw new UnsupportedTunSourceException($"not found in the input: {what}");

    /// <summary>Parameter types with names and spacing dropped: "struct net_device*", "void*".</summary>
    private static List<string> ParameterTypes(string signature)
    {
        var open = signature.IndexOf('(');
        var parameters = signature[(open + 1)..signature.LastIndexOf(')')];
        return parameters.Split(',')
            .Select(p => Regex.Replace(p.Trim(), @"\s+", " "))
            .Select(p => Regex.Replace(p, @"\s*\b[A-Za-z_]\w*$", "")) // drop the name
            .Select(p => Regex.Replace(p, @"\s*\*\s*", "*"))
            .Select(p => p.Replace("const ", ""))
            .ToList();
    }

    [GeneratedRegex(@"\b(?:__skb_get_hash_symmetric_net|__skb_get_hash_symmetric|skb_get_hash_symmetric|skb_get_hash|skb_get_rxhash)\s*\([^()]*\)")]
    private static partial Regex FlowHashCall();
}
