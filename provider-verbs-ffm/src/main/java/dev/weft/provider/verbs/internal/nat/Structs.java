package dev.weft.provider.verbs.internal.nat;

import static dev.weft.provider.verbs.internal.nat.C.INT;
import static dev.weft.provider.verbs.internal.nat.C.PTR;
import static dev.weft.provider.verbs.internal.nat.C.U16;
import static dev.weft.provider.verbs.internal.nat.C.U64;
import static dev.weft.provider.verbs.internal.nat.C.U8;
import static dev.weft.provider.verbs.internal.nat.C.array;
import static dev.weft.provider.verbs.internal.nat.C.m;
import static dev.weft.provider.verbs.internal.nat.C.struct;
import static dev.weft.provider.verbs.internal.nat.C.union;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;
import java.util.List;

/**
 * Layouts of the rdma-core structs Weft uses ({@code <infiniband/verbs.h>}, {@code <rdma/rdma_cma.h>}),
 * member for member in declaration order, plus the libc structs around them. Offsets used by the
 * provider are derived from these layouts ({@link #offset}), never written as numbers; the
 * layouts themselves are checked against the installed headers by {@code LayoutProbeTest}.
 */
public final class Structs {
    private Structs() {
    }

    /** {@code pthread_mutex_t} (glibc, LP64). */
    static final MemoryLayout PTHREAD_MUTEX = union("mutex", array("__size", U8, 40), m("__align", U64));
    /** {@code pthread_cond_t} (glibc, LP64). */
    static final MemoryLayout PTHREAD_COND = union("cond", array("__size", U8, 48), m("__align", U64));

    /** {@code union ibv_gid}. */
    public static final UnionLayout IBV_GID = union("ibv_gid", array("raw", U8, 16),
            struct("global", m("subnet_prefix", U64), m("interface_id", U64)));

    /** {@code struct ibv_device}. */
    public static final StructLayout IBV_DEVICE = struct("ibv_device",
            struct("_ops", m("_dummy1", PTR), m("_dummy2", PTR)),
            m("node_type", INT), m("transport_type", INT), array("name", U8, 64), array("dev_name", U8, 64),
            array("dev_path", U8, 256), array("ibdev_path", U8, 256));

    /** {@code struct ibv_context_ops}: 32 function pointers; Weft calls the four hot ones. */
    public static final StructLayout IBV_CONTEXT_OPS = struct("ops",
            m("_compat_query_device", PTR), m("_compat_query_port", PTR), m("_compat_alloc_pd", PTR),
            m("_compat_dealloc_pd", PTR), m("_compat_reg_mr", PTR), m("_compat_rereg_mr", PTR), m("_compat_dereg_mr", PTR),
            m("alloc_mw", PTR), m("bind_mw", PTR), m("dealloc_mw", PTR), m("_compat_create_cq", PTR), m("poll_cq", PTR),
            m("req_notify_cq", PTR), m("_compat_cq_event", PTR), m("_compat_resize_cq", PTR), m("_compat_destroy_cq", PTR),
            m("_compat_create_srq", PTR), m("_compat_modify_srq", PTR), m("_compat_query_srq", PTR),
            m("_compat_destroy_srq", PTR), m("post_srq_recv", PTR), m("_compat_create_qp", PTR), m("_compat_query_qp", PTR),
            m("_compat_modify_qp", PTR), m("_compat_destroy_qp", PTR), m("post_send", PTR), m("post_recv", PTR),
            m("_compat_create_ah", PTR), m("_compat_destroy_ah", PTR), m("_compat_attach_mcast", PTR),
            m("_compat_detach_mcast", PTR), m("_compat_async_event", PTR));

    /** {@code struct ibv_context}. */
    public static final StructLayout IBV_CONTEXT = struct("ibv_context", m("device", PTR), IBV_CONTEXT_OPS,
            m("cmd_fd", INT), m("async_fd", INT), m("num_comp_vectors", INT), PTHREAD_MUTEX, m("abi_compat", PTR));

    /** {@code struct ibv_device_attr}. */
    public static final StructLayout IBV_DEVICE_ATTR = struct("ibv_device_attr", array("fw_ver", U8, 64),
            m("node_guid", U64), m("sys_image_guid", U64), m("max_mr_size", U64), m("page_size_cap", U64),
            m("vendor_id", INT), m("vendor_part_id", INT), m("hw_ver", INT), m("max_qp", INT), m("max_qp_wr", INT),
            m("device_cap_flags", INT), m("max_sge", INT), m("max_sge_rd", INT), m("max_cq", INT), m("max_cqe", INT),
            m("max_mr", INT), m("max_pd", INT), m("max_qp_rd_atom", INT), m("max_ee_rd_atom", INT), m("max_res_rd_atom", INT),
            m("max_qp_init_rd_atom", INT), m("max_ee_init_rd_atom", INT), m("atomic_cap", INT), m("max_ee", INT),
            m("max_rdd", INT), m("max_mw", INT), m("max_raw_ipv6_qp", INT), m("max_raw_ethy_qp", INT), m("max_mcast_grp", INT),
            m("max_mcast_qp_attach", INT), m("max_total_mcast_qp_attach", INT), m("max_ah", INT), m("max_fmr", INT),
            m("max_map_per_fmr", INT), m("max_srq", INT), m("max_srq_wr", INT), m("max_srq_sge", INT), m("max_pkeys", U16),
            m("local_ca_ack_delay", U8), m("phys_port_cnt", U8));

    /** {@code struct ibv_port_attr}. */
    public static final StructLayout IBV_PORT_ATTR = struct("ibv_port_attr", m("state", INT), m("max_mtu", INT),
            m("active_mtu", INT), m("gid_tbl_len", INT), m("port_cap_flags", INT), m("max_msg_sz", INT),
            m("bad_pkey_cntr", INT), m("qkey_viol_cntr", INT), m("pkey_tbl_len", U16), m("lid", U16), m("sm_lid", U16),
            m("lmc", U8), m("max_vl_num", U8), m("sm_sl", U8), m("subnet_timeout", U8), m("init_type_reply", U8),
            m("active_width", U8), m("active_speed", U8), m("phys_state", U8), m("link_layer", U8), m("flags", U8),
            m("port_cap_flags2", U16));

    /** {@code struct ibv_gid_entry}. */
    public static final StructLayout IBV_GID_ENTRY = struct("ibv_gid_entry", IBV_GID.withName("gid"), m("gid_index", INT),
            m("port_num", INT), m("gid_type", INT), m("ndev_ifindex", INT));

    /** {@code struct ibv_pd}. */
    public static final StructLayout IBV_PD = struct("ibv_pd", m("context", PTR), m("handle", INT));

    /** {@code struct ibv_mr}. */
    public static final StructLayout IBV_MR = struct("ibv_mr", m("context", PTR), m("pd", PTR), m("addr", PTR),
            m("length", U64), m("handle", INT), m("lkey", INT), m("rkey", INT));

    /** {@code struct ibv_comp_channel}. */
    public static final StructLayout IBV_COMP_CHANNEL = struct("ibv_comp_channel", m("context", PTR), m("fd", INT),
            m("refcnt", INT));

    /** {@code struct ibv_cq}. */
    public static final StructLayout IBV_CQ = struct("ibv_cq", m("context", PTR), m("channel", PTR), m("cq_context", PTR),
            m("handle", INT), m("cqe", INT), PTHREAD_MUTEX, PTHREAD_COND, m("comp_events_completed", INT),
            m("async_events_completed", INT));

    /** {@code struct ibv_qp}. */
    public static final StructLayout IBV_QP = struct("ibv_qp", m("context", PTR), m("qp_context", PTR), m("pd", PTR),
            m("send_cq", PTR), m("recv_cq", PTR), m("srq", PTR), m("handle", INT), m("qp_num", INT), m("state", INT),
            m("qp_type", INT), PTHREAD_MUTEX, PTHREAD_COND, m("events_completed", INT));

    /** {@code struct ibv_qp_cap}. */
    public static final StructLayout IBV_QP_CAP = struct("ibv_qp_cap", m("max_send_wr", INT), m("max_recv_wr", INT),
            m("max_send_sge", INT), m("max_recv_sge", INT), m("max_inline_data", INT));

    /** {@code struct ibv_qp_init_attr}. */
    public static final StructLayout IBV_QP_INIT_ATTR = struct("ibv_qp_init_attr", m("qp_context", PTR), m("send_cq", PTR),
            m("recv_cq", PTR), m("srq", PTR), IBV_QP_CAP.withName("cap"), m("qp_type", INT), m("sq_sig_all", INT));

    /** {@code struct ibv_global_route}. */
    static final StructLayout IBV_GLOBAL_ROUTE = struct("ibv_global_route", IBV_GID.withName("dgid"), m("flow_label", INT),
            m("sgid_index", U8), m("hop_limit", U8), m("traffic_class", U8));

    /** {@code struct ibv_ah_attr}. */
    static final StructLayout IBV_AH_ATTR = struct("ibv_ah_attr", IBV_GLOBAL_ROUTE.withName("grh"), m("dlid", U16),
            m("sl", U8), m("src_path_bits", U8), m("static_rate", U8), m("is_global", U8), m("port_num", U8));

    /** {@code struct ibv_qp_attr}. */
    public static final StructLayout IBV_QP_ATTR = struct("ibv_qp_attr", m("qp_state", INT), m("cur_qp_state", INT),
            m("path_mtu", INT), m("path_mig_state", INT), m("qkey", INT), m("rq_psn", INT), m("sq_psn", INT),
            m("dest_qp_num", INT), m("qp_access_flags", INT), IBV_QP_CAP.withName("cap"), IBV_AH_ATTR.withName("ah_attr"),
            IBV_AH_ATTR.withName("alt_ah_attr"), m("pkey_index", U16), m("alt_pkey_index", U16), m("en_sqd_async_notify", U8),
            m("sq_draining", U8), m("max_rd_atomic", U8), m("max_dest_rd_atomic", U8), m("min_rnr_timer", U8),
            m("port_num", U8), m("timeout", U8), m("retry_cnt", U8), m("rnr_retry", U8), m("alt_port_num", U8),
            m("alt_timeout", U8), m("rate_limit", INT));

    /** {@code struct ibv_sge}. */
    public static final StructLayout IBV_SGE = struct("ibv_sge", m("addr", U64), m("length", INT), m("lkey", INT));

    /** {@code struct ibv_send_wr}, with its {@code wr} union (rdma, atomic, ud). */
    public static final StructLayout IBV_SEND_WR = struct("ibv_send_wr", m("wr_id", U64), m("next", PTR), m("sg_list", PTR),
            m("num_sge", INT), m("opcode", INT), m("send_flags", INT),
            union("$anon0", m("imm_data", INT), m("invalidate_rkey", INT)),
            union("wr",
                    struct("rdma", m("remote_addr", U64), m("rkey", INT)),
                    struct("atomic", m("remote_addr", U64), m("compare_add", U64), m("swap", U64), m("rkey", INT)),
                    struct("ud", m("ah", PTR), m("remote_qpn", INT), m("remote_qkey", INT))),
            union("qp_type", struct("xrc", m("remote_srqn", INT))),
            union("$anon1",
                    struct("bind_mw", m("mw", PTR), m("rkey", INT),
                            struct("bind_info", m("mr", PTR), m("addr", U64), m("length", U64), m("mw_access_flags", INT))),
                    struct("tso", m("hdr", PTR), m("hdr_sz", U16), m("mss", U16))));

    /** {@code struct ibv_recv_wr}. */
    public static final StructLayout IBV_RECV_WR = struct("ibv_recv_wr", m("wr_id", U64), m("next", PTR), m("sg_list", PTR),
            m("num_sge", INT));

    /** {@code struct ibv_wc}. */
    public static final StructLayout IBV_WC = struct("ibv_wc", m("wr_id", U64), m("status", INT), m("opcode", INT),
            m("vendor_err", INT), m("byte_len", INT), union("$anon0", m("imm_data", INT), m("invalidated_rkey", INT)),
            m("qp_num", INT), m("src_qp", INT), m("wc_flags", INT), m("pkey_index", U16), m("slid", U16), m("sl", U8),
            m("dlid_path_bits", U8));

    /** {@code struct ibv_async_event}. */
    public static final StructLayout IBV_ASYNC_EVENT = struct("ibv_async_event",
            union("element", m("cq", PTR), m("qp", PTR), m("srq", PTR), m("wq", PTR), m("port_num", INT)),
            m("event_type", INT));

    /** {@code struct rdma_event_channel}. */
    public static final StructLayout RDMA_EVENT_CHANNEL = struct("rdma_event_channel", m("fd", INT));

    /** {@code struct sockaddr}. */
    static final StructLayout SOCKADDR = struct("sockaddr", m("sa_family", U16), array("sa_data", U8, 14));

    /** {@code struct sockaddr_in}. */
    public static final StructLayout SOCKADDR_IN = struct("sockaddr_in", m("sin_family", U16), m("sin_port", U16),
            m("sin_addr", INT), array("sin_zero", U8, 8));

    /** {@code struct sockaddr_in6}. */
    public static final StructLayout SOCKADDR_IN6 = struct("sockaddr_in6", m("sin6_family", U16), m("sin6_port", U16),
            m("sin6_flowinfo", INT), array("sin6_addr", U8, 16), m("sin6_scope_id", INT));

    /** {@code struct sockaddr_storage}. */
    static final StructLayout SOCKADDR_STORAGE = struct("sockaddr_storage", m("ss_family", U16), array("__ss_padding", U8, 118),
            m("__ss_align", U64));

    /** {@code struct rdma_addr}. */
    static final StructLayout RDMA_ADDR = struct("rdma_addr",
            union("$anon0", SOCKADDR.withName("src_addr"), SOCKADDR_IN.withName("src_sin"), SOCKADDR_IN6.withName("src_sin6"),
                    SOCKADDR_STORAGE.withName("src_storage")),
            union("$anon1", SOCKADDR.withName("dst_addr"), SOCKADDR_IN.withName("dst_sin"), SOCKADDR_IN6.withName("dst_sin6"),
                    SOCKADDR_STORAGE.withName("dst_storage")),
            union("addr", struct("ibaddr", IBV_GID.withName("sgid"), IBV_GID.withName("dgid"), m("pkey", U16))));

    /** {@code struct rdma_route}. */
    static final StructLayout RDMA_ROUTE = struct("rdma_route", RDMA_ADDR.withName("addr"), m("path_rec", PTR),
            m("num_paths", INT));

    /** {@code struct rdma_cm_id}. */
    public static final StructLayout RDMA_CM_ID = struct("rdma_cm_id", m("verbs", PTR), m("channel", PTR), m("context", PTR),
            m("qp", PTR), RDMA_ROUTE.withName("route"), m("ps", INT), m("port_num", U8), m("event", PTR),
            m("send_cq_channel", PTR), m("send_cq", PTR), m("recv_cq_channel", PTR), m("recv_cq", PTR), m("srq", PTR),
            m("pd", PTR), m("qp_type", INT));

    /** {@code struct rdma_conn_param}. */
    public static final StructLayout RDMA_CONN_PARAM = struct("rdma_conn_param", m("private_data", PTR),
            m("private_data_len", U8), m("responder_resources", U8), m("initiator_depth", U8), m("flow_control", U8),
            m("retry_count", U8), m("rnr_retry_count", U8), m("srq", U8), m("qp_num", INT));

    /** {@code struct rdma_ud_param}. */
    static final StructLayout RDMA_UD_PARAM = struct("rdma_ud_param", m("private_data", PTR), m("private_data_len", U8),
            IBV_AH_ATTR.withName("ah_attr"), m("qp_num", INT), m("qkey", INT));

    /** {@code struct rdma_cm_event}. */
    public static final StructLayout RDMA_CM_EVENT = struct("rdma_cm_event", m("id", PTR), m("listen_id", PTR),
            m("event", INT), m("status", INT),
            union("param", RDMA_CONN_PARAM.withName("conn"), RDMA_UD_PARAM.withName("ud")));

    /** {@code struct pollfd}. */
    public static final StructLayout POLLFD = struct("pollfd", m("fd", INT), m("events", U16), m("revents", U16));

    /** Every layout above, for the probe test. */
    public static final List<MemoryLayout> ALL = List.of(IBV_DEVICE, IBV_CONTEXT, IBV_DEVICE_ATTR, IBV_PORT_ATTR, IBV_GID_ENTRY,
            IBV_PD, IBV_MR, IBV_COMP_CHANNEL, IBV_CQ, IBV_QP, IBV_QP_CAP, IBV_QP_INIT_ATTR, IBV_QP_ATTR, IBV_SGE, IBV_SEND_WR,
            IBV_RECV_WR, IBV_WC, IBV_ASYNC_EVENT, RDMA_EVENT_CHANNEL, RDMA_CM_ID, RDMA_CONN_PARAM, RDMA_CM_EVENT,
            SOCKADDR_IN, SOCKADDR_IN6, POLLFD);

    /**
     * The byte offset of a member given as a dotted path ({@code "wr.rdma.rkey"}); members of
     * anonymous unions ({@code $anonN}) are found without naming the union, as in C.
     *
     * @param layout a struct
     * @param path dotted member path
     * @return the offset
     * @throws IllegalArgumentException if no such member exists
     */
    public static long offset(MemoryLayout layout, String path) {
        return layout.byteOffset(path(layout, path));
    }

    /**
     * @param layout a struct
     * @param path dotted member path
     * @return the member's layout
     */
    public static MemoryLayout member(MemoryLayout layout, String path) {
        return layout.select(path(layout, path));
    }

    private static PathElement[] path(MemoryLayout layout, String path) {
        List<PathElement> out = new java.util.ArrayList<>();
        MemoryLayout current = layout;
        for (String name : path.split("\\.")) {
            current = step(current, name, out);
            if (current == null) {
                throw new IllegalArgumentException(layout.name().orElse("?") + " has no member " + path);
            }
        }
        return out.toArray(PathElement[]::new);
    }

    private static MemoryLayout step(MemoryLayout group, String name, List<PathElement> out) {
        if (!(group instanceof java.lang.foreign.GroupLayout g)) {
            return null;
        }
        for (MemoryLayout member : g.memberLayouts()) {
            if (member.name().filter(name::equals).isPresent()) {
                out.add(PathElement.groupElement(name));
                return member;
            }
        }
        for (MemoryLayout member : g.memberLayouts()) {
            if (member.name().filter(n -> n.startsWith("$anon")).isPresent()) {
                int mark = out.size();
                out.add(PathElement.groupElement(member.name().get()));
                MemoryLayout found = step(member, name, out);
                if (found != null) {
                    return found;
                }
                out.subList(mark, out.size()).clear();
            }
        }
        return null;
    }
}
