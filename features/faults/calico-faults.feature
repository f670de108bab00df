@faults @calico @slow
Feature: Calico etcdv3 → Kubernetes migration interrupted at every phase
  A store process is killed, paused or restarted, or the network to it fails, while one step of the
  guide runs. Each scenario shows the failure reported with its phase and object, the etcd source
  unchanged, the lock state afterwards, and that recovering (heal, roll back if Kubernetes was
  touched, run again) reaches exactly the target an undisturbed migration reached.

  Background:
    Given Calico data from "calico/dataset.yaml" in etcd "source"
    And a Kubernetes cluster with the fixture's nodes and namespaces
    And the target of an undisturbed Calico migration saved as snapshot "undisturbed"
    And I snapshot Calico etcd "source" as "before"

  Scenario Outline: lock while the etcd source is <fault>
    When etcd "source" is <fault>
    And I try the Calico lock step
    Then the lock step <outcome>
    When the faults heal
    Then the lock state is etcd "<etcd>" and Kubernetes "absent"
    And Calico etcd "source" is unchanged since snapshot "before", apart from the lock flag
    When I recover the Calico migration
    Then Calico in Kubernetes is unchanged since snapshot "undisturbed"
    And the lock state is etcd "locked" and Kubernetes "locked"
    And Calico etcd "source" is unchanged since snapshot "before", apart from the lock flag

    Examples:
      | fault                  | outcome                          | etcd     |
      | killed                 | failed naming "lock etcd: etcd at" | unlocked |
      | paused for 2 seconds   | succeeded                        | locked   |
      | restarted              | succeeded                        | locked   |

  Scenario Outline: export while the etcd source is <fault>
    When I lock the etcd datastore
    And etcd "source" is <fault>
    And I try the Calico export step
    Then the export step <outcome>
    When the faults heal
    Then the lock state is etcd "locked" and Kubernetes "absent"
    And Calico etcd "source" is unchanged since snapshot "before", apart from the lock flag
    When I recover the Calico migration
    Then Calico in Kubernetes is unchanged since snapshot "undisturbed"
    And the lock state is etcd "locked" and Kubernetes "locked"

    Examples:
      | fault                | outcome                         |
      | killed               | failed naming "export: etcd at" |
      | paused for 2 seconds | succeeded                       |
      | restarted            | succeeded                       |

  Scenario Outline: <step> through a network with <network>
    Given the migrator reaches etcd "source" through a fault proxy
    When I lock the etcd datastore
    And the network to etcd "source" has "<network>"
    And I try the Calico <step> step
    Then the <step> step <outcome>
    When the faults heal
    Then the lock state is etcd "locked" and Kubernetes "absent"
    And Calico etcd "source" is unchanged since snapshot "before", apart from the lock flag
    When I recover the Calico migration
    Then Calico in Kubernetes is unchanged since snapshot "undisturbed"
    And the lock state is etcd "locked" and Kubernetes "locked"

    Examples:
      | step   | network          | outcome                         |
      | lock   | connection reset | failed naming "lock etcd: etcd at" |
      | export | connection reset | failed naming "export: etcd at" |
      | export | latency of 50 ms | succeeded                       |

    @slow
    Examples: a link that drops every packet
      | step   | network | outcome                                 |
      | export | timeout | failed naming "DEADLINE_EXCEEDED" |

  Scenario Outline: import while <target> is <fault> after <count> Calico objects
    When I lock the etcd datastore
    And I export the etcd datastore
    And <target> will be <fault> after <count> Calico objects reach Kubernetes
    And I try the Calico import step
    Then the fault fired
    And the import step <outcome>
    When the faults heal
    Then the lock state is etcd "locked" and Kubernetes "<kube>"
    And Calico etcd "source" is unchanged since snapshot "before", apart from the lock flag
    When I recover the Calico migration
    Then Calico in Kubernetes is unchanged since snapshot "undisturbed"
    And the lock state is etcd "locked" and Kubernetes "locked"

    Examples: early (the first objects)
      | target                   | fault                | count | outcome                 | kube                 |
      | the control plane's etcd | paused for 3 seconds | 1     | succeeded               | locked               |
      | the kube-apiserver       | killed               | 1     | failed naming "import:" | unlocked or locked   |
      | the control plane's etcd | killed               | 1     | failed naming "import:" | unlocked or locked   |

  Scenario Outline: import through a network with <network>
    Given the migrator reaches the kube-apiserver through a fault proxy
    When I lock the etcd datastore
    And I export the etcd datastore
    And the network to the kube-apiserver has "<network>"
    And I try the Calico import step
    Then the import step <outcome>
    When the faults heal
    Then the lock state is etcd "locked" and Kubernetes "<kube>"
    And Calico etcd "source" is unchanged since snapshot "before", apart from the lock flag
    When I recover the Calico migration
    Then Calico in Kubernetes is unchanged since snapshot "undisturbed"
    And the lock state is etcd "locked" and Kubernetes "locked"

    Examples:
      | network          | outcome                        | kube   |
      | connection reset | failed naming "kubernetes"     | absent |
      | latency of 20 ms | succeeded                      | locked |

  Scenario Outline: unlock of Kubernetes while <target> is <fault>
    When I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    And <target> is <fault>
    And I try the Calico unlock step
    Then the unlock step <outcome>
    When the faults heal
    Then the lock state is etcd "locked" and Kubernetes "<kube>"
    And Calico etcd "source" is unchanged since snapshot "before", apart from the lock flag
    When I recover the Calico migration
    Then Calico in Kubernetes is unchanged since snapshot "undisturbed"
    And the lock state is etcd "locked" and Kubernetes "locked"

    Examples:
      | target                   | fault                | outcome                    | kube     |
      | the kube-apiserver       | killed               | failed naming "kubernetes" | locked   |
      | the control plane's etcd | paused for 2 seconds | succeeded                  | unlocked |

  Scenario Outline: rollback while <target> is <fault>
    When I lock the etcd datastore
    And I export the etcd datastore
    And I import the export into Kubernetes
    And <target> is <fault>
    And I try the Calico rollback step
    Then the rollback step <outcome>
    When the faults heal
    Then the lock state is etcd "<etcd>" and Kubernetes "<kube>"
    And Calico etcd "source" is unchanged since snapshot "before", apart from the lock flag
    When I recover the Calico migration
    Then Calico in Kubernetes is unchanged since snapshot "undisturbed"
    And the lock state is etcd "locked" and Kubernetes "locked"

    Examples:
      | target             | fault                | outcome                             | etcd     | kube   |
      | etcd "source"      | killed               | failed naming "rollback: etcd at"   | locked   | absent |
      | the kube-apiserver | killed               | failed naming "kubernetes"          | locked   | locked |
      | etcd "source"      | paused for 2 seconds | succeeded                           | unlocked | absent |
