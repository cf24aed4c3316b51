/*
 * Prints the size of every struct and the offset and size of every field that Weft's
 * FFM bindings use, from the installed rdma-core headers. LayoutProbeTest compiles this
 * with gcc and compares each line with the Java layouts in dev.weft.provider.verbs.internal.nat.
 *
 * Output, one line each:  STRUCT sizeof SIZE   and   STRUCT.FIELD.PATH OFFSET SIZE
 * and, for every constant the bindings define:  const CLASS.FIELD VALUE
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <netinet/in.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#define S(T) printf(#T " sizeof %zu\n", sizeof(struct T))
#define F(T, f) printf(#T "." #f " %zu %zu\n", offsetof(struct T, f), sizeof(((struct T *)0)->f))
#define K(CLASS, FIELD, C) printf("const " #CLASS "." #FIELD " %lld\n", (long long)(C))

int main(void) {
    S(ibv_device); F(ibv_device, node_type); F(ibv_device, transport_type); F(ibv_device, name);
    S(ibv_context); F(ibv_context, device); F(ibv_context, ops.poll_cq); F(ibv_context, ops.req_notify_cq);
    F(ibv_context, ops.post_send); F(ibv_context, ops.post_recv); F(ibv_context, cmd_fd); F(ibv_context, async_fd);
    F(ibv_context, num_comp_vectors);
    S(ibv_device_attr); F(ibv_device_attr, fw_ver); F(ibv_device_attr, node_guid); F(ibv_device_attr, sys_image_guid);
    F(ibv_device_attr, max_mr_size); F(ibv_device_attr, vendor_id); F(ibv_device_attr, vendor_part_id); F(ibv_device_attr, max_qp);
    F(ibv_device_attr, max_qp_wr); F(ibv_device_attr, device_cap_flags); F(ibv_device_attr, max_sge); F(ibv_device_attr, max_sge_rd);
    F(ibv_device_attr, max_cq); F(ibv_device_attr, max_cqe); F(ibv_device_attr, max_mr); F(ibv_device_attr, max_pd);
    F(ibv_device_attr, max_qp_rd_atom); F(ibv_device_attr, max_qp_init_rd_atom); F(ibv_device_attr, atomic_cap);
    F(ibv_device_attr, phys_port_cnt);
    S(ibv_port_attr); F(ibv_port_attr, state); F(ibv_port_attr, max_mtu); F(ibv_port_attr, active_mtu); F(ibv_port_attr, gid_tbl_len);
    F(ibv_port_attr, port_cap_flags); F(ibv_port_attr, max_msg_sz); F(ibv_port_attr, lid); F(ibv_port_attr, active_speed);
    F(ibv_port_attr, phys_state); F(ibv_port_attr, link_layer);
    S(ibv_gid_entry); F(ibv_gid_entry, gid); F(ibv_gid_entry, gid_index); F(ibv_gid_entry, port_num); F(ibv_gid_entry, gid_type);
    F(ibv_gid_entry, ndev_ifindex);
    S(ibv_pd); F(ibv_pd, context); F(ibv_pd, handle);
    S(ibv_mr); F(ibv_mr, context); F(ibv_mr, pd); F(ibv_mr, addr); F(ibv_mr, length); F(ibv_mr, handle); F(ibv_mr, lkey); F(ibv_mr, rkey);
    S(ibv_comp_channel); F(ibv_comp_channel, context); F(ibv_comp_channel, fd); F(ibv_comp_channel, refcnt);
    S(ibv_cq); F(ibv_cq, context); F(ibv_cq, channel); F(ibv_cq, cq_context); F(ibv_cq, handle); F(ibv_cq, cqe);
    S(ibv_qp); F(ibv_qp, context); F(ibv_qp, qp_context); F(ibv_qp, pd); F(ibv_qp, send_cq); F(ibv_qp, recv_cq); F(ibv_qp, srq);
    F(ibv_qp, handle); F(ibv_qp, qp_num); F(ibv_qp, state); F(ibv_qp, qp_type);
    S(ibv_qp_cap); F(ibv_qp_cap, max_send_wr); F(ibv_qp_cap, max_recv_wr); F(ibv_qp_cap, max_send_sge); F(ibv_qp_cap, max_recv_sge);
    F(ibv_qp_cap, max_inline_data);
    S(ibv_qp_init_attr); F(ibv_qp_init_attr, qp_context); F(ibv_qp_init_attr, send_cq); F(ibv_qp_init_attr, recv_cq);
    F(ibv_qp_init_attr, srq); F(ibv_qp_init_attr, cap); F(ibv_qp_init_attr, cap.max_send_wr); F(ibv_qp_init_attr, cap.max_recv_wr);
    F(ibv_qp_init_attr, cap.max_send_sge); F(ibv_qp_init_attr, cap.max_recv_sge); F(ibv_qp_init_attr, cap.max_inline_data);
    F(ibv_qp_init_attr, qp_type); F(ibv_qp_init_attr, sq_sig_all);
    S(ibv_qp_attr); F(ibv_qp_attr, qp_state); F(ibv_qp_attr, cur_qp_state); F(ibv_qp_attr, cap); F(ibv_qp_attr, min_rnr_timer);
    F(ibv_qp_attr, timeout); F(ibv_qp_attr, retry_cnt); F(ibv_qp_attr, rnr_retry);
    S(ibv_sge); F(ibv_sge, addr); F(ibv_sge, length); F(ibv_sge, lkey);
    S(ibv_send_wr); F(ibv_send_wr, wr_id); F(ibv_send_wr, next); F(ibv_send_wr, sg_list); F(ibv_send_wr, num_sge);
    F(ibv_send_wr, opcode); F(ibv_send_wr, send_flags); F(ibv_send_wr, imm_data); F(ibv_send_wr, wr);
    F(ibv_send_wr, wr.rdma.remote_addr); F(ibv_send_wr, wr.rdma.rkey); F(ibv_send_wr, wr.atomic.remote_addr);
    F(ibv_send_wr, wr.atomic.compare_add); F(ibv_send_wr, wr.atomic.swap); F(ibv_send_wr, wr.atomic.rkey);
    F(ibv_send_wr, wr.ud.ah); F(ibv_send_wr, wr.ud.remote_qpn); F(ibv_send_wr, wr.ud.remote_qkey); F(ibv_send_wr, qp_type.xrc.remote_srqn);
    S(ibv_recv_wr); F(ibv_recv_wr, wr_id); F(ibv_recv_wr, next); F(ibv_recv_wr, sg_list); F(ibv_recv_wr, num_sge);
    S(ibv_wc); F(ibv_wc, wr_id); F(ibv_wc, status); F(ibv_wc, opcode); F(ibv_wc, vendor_err); F(ibv_wc, byte_len);
    F(ibv_wc, imm_data); F(ibv_wc, qp_num); F(ibv_wc, src_qp); F(ibv_wc, wc_flags); F(ibv_wc, pkey_index); F(ibv_wc, slid);
    F(ibv_wc, sl); F(ibv_wc, dlid_path_bits);
    S(ibv_async_event); F(ibv_async_event, element); F(ibv_async_event, element.qp); F(ibv_async_event, element.cq); F(ibv_async_event, element.port_num);
    F(ibv_async_event, event_type);
    S(rdma_event_channel); F(rdma_event_channel, fd);
    S(rdma_cm_id); F(rdma_cm_id, verbs); F(rdma_cm_id, channel); F(rdma_cm_id, context); F(rdma_cm_id, qp); F(rdma_cm_id, route);
    F(rdma_cm_id, route.addr.src_addr); F(rdma_cm_id, route.addr.dst_addr); F(rdma_cm_id, ps); F(rdma_cm_id, port_num);
    F(rdma_cm_id, event); F(rdma_cm_id, pd); F(rdma_cm_id, qp_type);
    S(rdma_conn_param); F(rdma_conn_param, private_data); F(rdma_conn_param, private_data_len);
    F(rdma_conn_param, responder_resources); F(rdma_conn_param, initiator_depth); F(rdma_conn_param, flow_control);
    F(rdma_conn_param, retry_count); F(rdma_conn_param, rnr_retry_count); F(rdma_conn_param, srq); F(rdma_conn_param, qp_num);
    S(rdma_cm_event); F(rdma_cm_event, id); F(rdma_cm_event, listen_id); F(rdma_cm_event, event); F(rdma_cm_event, status);
    F(rdma_cm_event, param); F(rdma_cm_event, param.conn.private_data); F(rdma_cm_event, param.conn.private_data_len);
    F(rdma_cm_event, param.conn.responder_resources); F(rdma_cm_event, param.conn.initiator_depth);
    S(sockaddr_in); F(sockaddr_in, sin_family); F(sockaddr_in, sin_port); F(sockaddr_in, sin_addr);
    S(sockaddr_in6); F(sockaddr_in6, sin6_family); F(sockaddr_in6, sin6_port); F(sockaddr_in6, sin6_flowinfo);
    F(sockaddr_in6, sin6_addr); F(sockaddr_in6, sin6_scope_id);
    S(pollfd); F(pollfd, fd); F(pollfd, events); F(pollfd, revents);
    K(Ibv, ACCESS_LOCAL_WRITE, IBV_ACCESS_LOCAL_WRITE); K(Ibv, ACCESS_REMOTE_WRITE, IBV_ACCESS_REMOTE_WRITE);
    K(Ibv, ACCESS_REMOTE_READ, IBV_ACCESS_REMOTE_READ); K(Ibv, ACCESS_REMOTE_ATOMIC, IBV_ACCESS_REMOTE_ATOMIC);
    K(Ibv, WR_RDMA_WRITE, IBV_WR_RDMA_WRITE); K(Ibv, WR_RDMA_WRITE_WITH_IMM, IBV_WR_RDMA_WRITE_WITH_IMM);
    K(Ibv, WR_SEND, IBV_WR_SEND); K(Ibv, WR_RDMA_READ, IBV_WR_RDMA_READ);
    K(Ibv, WR_ATOMIC_CMP_AND_SWP, IBV_WR_ATOMIC_CMP_AND_SWP); K(Ibv, WR_ATOMIC_FETCH_AND_ADD, IBV_WR_ATOMIC_FETCH_AND_ADD);
    K(Ibv, SEND_SIGNALED, IBV_SEND_SIGNALED); K(Ibv, SEND_INLINE, IBV_SEND_INLINE); K(Ibv, WC_RECV, IBV_WC_RECV);
    K(Ibv, WC_RECV_RDMA_WITH_IMM, IBV_WC_RECV_RDMA_WITH_IMM); K(Ibv, WC_WITH_IMM, IBV_WC_WITH_IMM);
    K(Ibv, QPT_RC, IBV_QPT_RC); K(Ibv, QPS_ERR, IBV_QPS_ERR); K(Ibv, QPS_RESET, IBV_QPS_RESET);
    K(Ibv, WC_SUCCESS, IBV_WC_SUCCESS);
    K(Ibv, WC_WR_FLUSH_ERR, IBV_WC_WR_FLUSH_ERR); K(Ibv, QP_STATE, IBV_QP_STATE);
    K(Ibv, TRANSPORT_IWARP, IBV_TRANSPORT_IWARP); K(Ibv, LINK_LAYER_INFINIBAND, IBV_LINK_LAYER_INFINIBAND);
    K(Ibv, LINK_LAYER_ETHERNET, IBV_LINK_LAYER_ETHERNET); K(Ibv, GID_TYPE_ROCE_V2, IBV_GID_TYPE_ROCE_V2);
    K(Ibv, ATOMIC_NONE, IBV_ATOMIC_NONE);
    K(Ibv, GID_TYPE_ROCE_V1, IBV_GID_TYPE_ROCE_V1);
    K(Ibv, PORT_DOWN, IBV_PORT_DOWN); K(Ibv, PORT_INIT, IBV_PORT_INIT); K(Ibv, PORT_ARMED, IBV_PORT_ARMED);
    K(Ibv, PORT_ACTIVE, IBV_PORT_ACTIVE); K(Ibv, PORT_ACTIVE_DEFER, IBV_PORT_ACTIVE_DEFER);
    K(Ibv, MTU_256, IBV_MTU_256); K(Ibv, MTU_4096, IBV_MTU_4096);
    K(Ibv, EVENT_CQ_ERR, IBV_EVENT_CQ_ERR); K(Ibv, EVENT_QP_FATAL, IBV_EVENT_QP_FATAL);
    K(Ibv, EVENT_QP_REQ_ERR, IBV_EVENT_QP_REQ_ERR); K(Ibv, EVENT_QP_ACCESS_ERR, IBV_EVENT_QP_ACCESS_ERR);
    K(Ibv, EVENT_DEVICE_FATAL, IBV_EVENT_DEVICE_FATAL); K(Ibv, EVENT_PORT_ERR, IBV_EVENT_PORT_ERR);
    K(RdmaCm, PS_TCP, RDMA_PS_TCP); K(RdmaCm, EVENT_ADDR_RESOLVED, RDMA_CM_EVENT_ADDR_RESOLVED);
    K(RdmaCm, EVENT_ADDR_ERROR, RDMA_CM_EVENT_ADDR_ERROR); K(RdmaCm, EVENT_ROUTE_RESOLVED, RDMA_CM_EVENT_ROUTE_RESOLVED);
    K(RdmaCm, EVENT_ROUTE_ERROR, RDMA_CM_EVENT_ROUTE_ERROR);
    K(RdmaCm, EVENT_CONNECT_REQUEST, RDMA_CM_EVENT_CONNECT_REQUEST);
    K(RdmaCm, EVENT_CONNECT_RESPONSE, RDMA_CM_EVENT_CONNECT_RESPONSE);
    K(RdmaCm, EVENT_CONNECT_ERROR, RDMA_CM_EVENT_CONNECT_ERROR); K(RdmaCm, EVENT_UNREACHABLE, RDMA_CM_EVENT_UNREACHABLE);
    K(RdmaCm, EVENT_REJECTED, RDMA_CM_EVENT_REJECTED); K(RdmaCm, EVENT_ESTABLISHED, RDMA_CM_EVENT_ESTABLISHED);
    K(RdmaCm, EVENT_DISCONNECTED, RDMA_CM_EVENT_DISCONNECTED);
    K(RdmaCm, EVENT_DEVICE_REMOVAL, RDMA_CM_EVENT_DEVICE_REMOVAL); K(RdmaCm, EVENT_ADDR_CHANGE, RDMA_CM_EVENT_ADDR_CHANGE);
    K(RdmaCm, EVENT_TIMEWAIT_EXIT, RDMA_CM_EVENT_TIMEWAIT_EXIT);
    K(Errno, EPERM, EPERM); K(Errno, ENOENT, ENOENT); K(Errno, EINTR, EINTR); K(Errno, EIO, EIO); K(Errno, EAGAIN, EAGAIN);
    K(Errno, ENOMEM, ENOMEM); K(Errno, EACCES, EACCES); K(Errno, EFAULT, EFAULT); K(Errno, EBUSY, EBUSY);
    K(Errno, ENODEV, ENODEV); K(Errno, EINVAL, EINVAL); K(Errno, ENFILE, ENFILE); K(Errno, EMFILE, EMFILE);
    K(Errno, ENOSPC, ENOSPC); K(Errno, ENOSYS, ENOSYS); K(Errno, ENODATA, ENODATA); K(Errno, EPROTO, EPROTO);
    K(Errno, EOPNOTSUPP, EOPNOTSUPP); K(Errno, EADDRINUSE, EADDRINUSE); K(Errno, EADDRNOTAVAIL, EADDRNOTAVAIL);
    K(Errno, ENETUNREACH, ENETUNREACH); K(Errno, ECONNRESET, ECONNRESET); K(Errno, ETIMEDOUT, ETIMEDOUT);
    K(Errno, ECONNREFUSED, ECONNREFUSED); K(Errno, EHOSTUNREACH, EHOSTUNREACH);
    K(Libc, F_GETFL, F_GETFL); K(Libc, F_SETFL, F_SETFL); K(Libc, O_NONBLOCK, O_NONBLOCK); K(Libc, POLLIN, POLLIN);
    K(Libc, POLL_FAILED, POLLERR | POLLHUP | POLLNVAL);
    K(Libc, EFD_CLOEXEC, EFD_CLOEXEC); K(Libc, EFD_NONBLOCK, EFD_NONBLOCK);
    K(Libc, AF_INET, AF_INET); K(Libc, AF_INET6, AF_INET6);
    return 0;
}
