// Module init: one export per syscall-family entry point. The only process-wide state is walk.cc's
// list of walk threads stuck in the kernel (shared on purpose: they are the process's threads), so
// the addon loads in any number of worker_threads.
#include <napi.h>

namespace ipci {
Napi::Value WalkProc(const Napi::CallbackInfo& info);
Napi::Value SysvMsgList(const Napi::CallbackInfo& info);
Napi::Value SysvShmList(const Napi::CallbackInfo& info);
Napi::Value SysvSemList(const Napi::CallbackInfo& info);
Napi::Value SysvLists(const Napi::CallbackInfo& info);
Napi::Value MsgPeek(const Napi::CallbackInfo& info);
Napi::Value ShmRead(const Napi::CallbackInfo& info);
Napi::Value UnixDiag(const Napi::CallbackInfo& info);
Napi::Value InetDiag(const Napi::CallbackInfo& info);
Napi::Value PacketDiag(const Napi::CallbackInfo& info);
Napi::Value NetlinkDiag(const Napi::CallbackInfo& info);
Napi::Value OwnNetlinkInodes(const Napi::CallbackInfo& info);
Napi::Value ConntrackGet(const Napi::CallbackInfo& info);
Napi::Value PipePeek(const Napi::CallbackInfo& info);
Napi::Value SocketPeek(const Napi::CallbackInfo& info);
Napi::Value TtyQueue(const Napi::CallbackInfo& info);
Napi::Value PidfdOpen(const Napi::CallbackInfo& info);
Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info);
Napi::Value CloseFd(const Napi::CallbackInfo& info);
Napi::Value SocketNetns(const Napi::CallbackInfo& info);
Napi::Value SocketProtocol(const Napi::CallbackInfo& info);
Napi::Value MqGetattr(const Napi::CallbackInfo& info);
Napi::Value MqReceive(const Napi::CallbackInfo& info);
Napi::Value MqGetattrFd(const Napi::CallbackInfo& info);
Napi::Value SemStat(const Napi::CallbackInfo& info);
Napi::Value SysvStat(const Napi::CallbackInfo& info);
Napi::Value SysvRemoveIf(const Napi::CallbackInfo& info);
Napi::Value MemRead(const Napi::CallbackInfo& info);
Napi::Value StuckWalks(const Napi::CallbackInfo& info);
Napi::Value MallocInfo(const Napi::CallbackInfo& info);
Napi::Value BlockPoolBytes(const Napi::CallbackInfo& info);
Napi::Value MallocThresholds(const Napi::CallbackInfo& info);
Napi::Value MemoryPressure(const Napi::CallbackInfo& info);
Napi::Value FdHangup(const Napi::CallbackInfo& info);
Napi::Value HeldFileStat(const Napi::CallbackInfo& info);
Napi::Value LookupNoFollow(const Napi::CallbackInfo& info);
}  // namespace ipci

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace ipci;
  exports.Set("walkProc", Napi::Function::New(env, WalkProc, "walkProc"));
  exports.Set("sysvMsgList", Napi::Function::New(env, SysvMsgList, "sysvMsgList"));
  exports.Set("sysvShmList", Napi::Function::New(env, SysvShmList, "sysvShmList"));
  exports.Set("sysvSemList", Napi::Function::New(env, SysvSemList, "sysvSemList"));
  exports.Set("sysvLists", Napi::Function::New(env, SysvLists, "sysvLists"));
  exports.Set("msgPeek", Napi::Function::New(env, MsgPeek, "msgPeek"));
  exports.Set("shmRead", Napi::Function::New(env, ShmRead, "shmRead"));
  exports.Set("unixDiag", Napi::Function::New(env, UnixDiag, "unixDiag"));
  exports.Set("inetDiag", Napi::Function::New(env, InetDiag, "inetDiag"));
  exports.Set("packetDiag", Napi::Function::New(env, PacketDiag, "packetDiag"));
  exports.Set("netlinkDiag", Napi::Function::New(env, NetlinkDiag, "netlinkDiag"));
  exports.Set("ownNetlinkInodes", Napi::Function::New(env, OwnNetlinkInodes, "ownNetlinkInodes"));
  exports.Set("conntrackGet", Napi::Function::New(env, ConntrackGet, "conntrackGet"));
  exports.Set("pipePeek", Napi::Function::New(env, PipePeek, "pipePeek"));
  exports.Set("socketPeek", Napi::Function::New(env, SocketPeek, "socketPeek"));
  exports.Set("ttyQueue", Napi::Function::New(env, TtyQueue, "ttyQueue"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal, "pidfdSendSignal"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
  exports.Set("socketNetns", Napi::Function::New(env, SocketNetns, "socketNetns"));
  exports.Set("socketProtocol", Napi::Function::New(env, SocketProtocol, "socketProtocol"));
  exports.Set("mqGetattr", Napi::Function::New(env, MqGetattr, "mqGetattr"));
  exports.Set("mqReceive", Napi::Function::New(env, MqReceive, "mqReceive"));
  exports.Set("mqGetattrFd", Napi::Function::New(env, MqGetattrFd, "mqGetattrFd"));
  exports.Set("semStat", Napi::Function::New(env, SemStat, "semStat"));
  exports.Set("sysvStat", Napi::Function::New(env, SysvStat, "sysvStat"));
  exports.Set("sysvRemoveIf", Napi::Function::New(env, SysvRemoveIf, "sysvRemoveIf"));
  exports.Set("memRead", Napi::Function::New(env, MemRead, "memRead"));
  exports.Set("stuckWalks", Napi::Function::New(env, StuckWalks, "stuckWalks"));
  exports.Set("mallocInfo", Napi::Function::New(env, MallocInfo, "mallocInfo"));
  exports.Set("blockPool", Napi::Function::New(env, BlockPoolBytes, "blockPool"));
  exports.Set("mallocThresholds", Napi::Function::New(env, MallocThresholds, "mallocThresholds"));
  exports.Set("memoryPressure", Napi::Function::New(env, MemoryPressure, "memoryPressure"));
  exports.Set("fdHangup", Napi::Function::New(env, FdHangup, "fdHangup"));
  exports.Set("heldFileStat", Napi::Function::New(env, HeldFileStat, "heldFileStat"));
  exports.Set("lookupNoFollow", Napi::Function::New(env, LookupNoFollow, "lookupNoFollow"));
  return exports;
}

NODE_API_MODULE(ipc_inspector, Init)
